using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kiln.Server.Storage;

/// <summary>Readiness: the blob store answers (a lookup of a key that need not exist).</summary>
public sealed class StorageHealthCheck(IBlobStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // The store itself, not its measured wrapper: a probe every few seconds is neither a span nor a blob error.
            var inner = store is MeasuredBlobStore measured ? measured.Inner : store;
            await inner.ExistsAsync("health/probe", cancellationToken);
            return HealthCheckResult.Healthy(inner.GetType().Name + " reachable");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("storage unreachable: " + e.GetType().Name);
        }
    }
}
