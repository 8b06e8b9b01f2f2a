using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kiln.Server.Storage;

/// <summary>Readiness: the blob store answers (a lookup of a key that need not exist).</summary>
public sealed class StorageHealthCheck(IBlobStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.ExistsAsync("health/probe", cancellationToken);
            return HealthCheckResult.Healthy(store.GetType().Name + " reachable");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("storage unreachable: " + e.GetType().Name);
        }
    }
}
