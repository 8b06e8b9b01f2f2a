using Kiln.Server.Hosting;
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
        services.TryAddSingleton<IBlobStore, LocalDiskBlobStore>();
        return services;
    }
}
