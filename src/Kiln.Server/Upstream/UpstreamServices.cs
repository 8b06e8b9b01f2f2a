using Kiln.Server.Firefly;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Upstream;

public static class UpstreamServices
{
    /// <summary>The upstream engine, its profiles, rotation and the rotation schedule (docs/upstream.md).</summary>
    public static IServiceCollection AddUpstream(this IServiceCollection services)
    {
        services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<UpstreamOptions>, UpstreamOptions.Validator>();
        services.AddSingleton<UpstreamClients>();
        services.AddSingleton<UpstreamEngine>();
        services.AddSingleton<IImageEngine>(sp => sp.GetRequiredService<UpstreamEngine>());
        services.AddScoped<UpstreamProfiles>();
        services.AddSingleton<UpstreamRotation>();
        services.AddHostedService<UpstreamRotationSchedule>();
        return services;
    }
}
