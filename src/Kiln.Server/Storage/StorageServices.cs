using Kiln.Server.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Storage;

public static class StorageServices
{
    /// <summary>The blob store (local disk under the data dir) and the /files URL signer.</summary>
    public static IServiceCollection AddBlobStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptions.Validator>();
        services.TryAddSingleton<UrlSigner>();
        services.AddSingleton<IStartupTask>(sp => sp.GetRequiredService<UrlSigner>());
        // Local disk under the data dir by default; S3 when Kiln:Storage is an s3:// location.
        KilnMetrics.AddTo(services);
        services.TryAddSingleton<IBlobStore>(sp => new MeasuredBlobStore(S3Location.IsS3(sp.GetRequiredService<IOptions<KilnOptions>>().Value.Storage)
            ? ActivatorUtilities.CreateInstance<S3BlobStore>(sp)
            : ActivatorUtilities.CreateInstance<LocalDiskBlobStore>(sp), sp.GetRequiredService<KilnMetrics>()));
        services.AddSingleton<IStartupTask>(sp => sp.GetRequiredService<IBlobStore>());
        services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage", tags: ["ready"]);
        return services;
    }
}
