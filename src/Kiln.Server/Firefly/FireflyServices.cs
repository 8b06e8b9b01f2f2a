using Kiln.Server.Core;
using Kiln.Server.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

public static class FireflyServices
{
    /// <summary>The image API: validation, sources, the render pool, jobs, cleanup, rate limits and blob storage.</summary>
    public static IServiceCollection AddFirefly(this IServiceCollection services)
    {
        services.AddOptions<FireflyOptions>().BindConfiguration(FireflyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<FireflyOptions>, FireflyOptions.Validator>();
        services.AddBlobStorage();
        services.TryAddSingleton<ISourceHostResolver, DnsSourceHostResolver>();
        services.AddSingleton<AddressPolicy>();
        services.AddSingleton<SourceFetcher>();
        services.AddSingleton<SourceResolver>();
        services.AddSingleton<Uploads>();
        services.AddSingleton<UploadGate>();
        services.AddSingleton<RenderPool>();
        services.AddSingleton<JobStore>();
        services.AddSingleton<EngineResolver>();
        services.AddSingleton<ProceduralEngine>();
        services.AddSingleton<IImageEngine>(sp => sp.GetRequiredService<ProceduralEngine>());
        services.AddSingleton<ImageRunner>();
        services.AddSingleton<Metering>();
        services.AddSingleton<JobSignal>();
        ClusterSubscribers.Add<JobCancellations>(services);
        services.AddSingleton<OrgRateLimiter>();
        services.AddHostedService<JobWorker>();
        services.AddHostedService<CleanupService>();
        return services;
    }

    /// <summary>Maps /v3/images/*, /v3/status, /v3/cancel, /v2/storage/image and the /files download URLs.</summary>
    public static WebApplication MapFirefly(this WebApplication app)
    {
        app.UseFilesGuard();
        app.MapFiles();
        app.MapImages();
        app.MapJobs();
        app.MapUploads();
        return app;
    }
}
