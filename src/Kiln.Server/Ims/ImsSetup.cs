using Kiln.Server.Core;

namespace Kiln.Server.Ims;

/// <summary>Registration of the identity service.</summary>
public static class ImsSetup
{
    public static IServiceCollection AddIms(this IServiceCollection services)
    {
        KilnMetrics.AddTo(services);
        services.AddSingleton<SecretHasher>();
        services.AddSingleton<KeyRing>();
        services.AddSingleton<ImsIssuer>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<TokenValidator>();
        ClusterSubscribers.Add<CredentialCache>(services);
        services.AddSingleton<ClientSecrets>();
        ClusterSubscribers.Add<RevocationList>(services);
        ClusterSubscribers.Add<BruteForceGuard>(services);
        services.AddSingleton<UsageTracker>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<DeviceGrant>();
        ClusterSubscribers.Add<DeviceGuard>(services);
        return services;
    }

    /// <summary>The identity service's background work: usage flushes and signing-key refresh.</summary>
    public static IServiceCollection AddImsBackground(this IServiceCollection services)
    {
        services.AddSingleton<UsageFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageFlusher>());
        services.AddHostedService<KeyRingRefresher>();
        return services;
    }
}
