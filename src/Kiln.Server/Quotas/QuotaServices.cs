using Microsoft.Extensions.Options;

namespace Kiln.Server.Quotas;

public static class QuotaServices
{
    /// <summary>Image quotas and usage metering: the ledger, the settings, the counter cleanup.</summary>
    public static IServiceCollection AddQuotas(this IServiceCollection services)
    {
        services.AddOptions<QuotaOptions>().BindConfiguration(QuotaOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<QuotaOptions>, QuotaOptions.Validator>();
        services.AddSingleton<QuotaLedger>();
        services.AddSingleton<QuotaSettings>();
        services.AddHostedService<QuotaCleanup>();
        return services;
    }
}
