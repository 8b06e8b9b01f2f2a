using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Quotas;

/// <summary>Deletes window counters whose window ended (an hour ago) every <see cref="QuotaOptions.CleanupInterval"/>.</summary>
public sealed class QuotaCleanup(IServiceScopeFactory scopes, TimeProvider clock, IOptions<QuotaOptions> options, ILogger<QuotaCleanup> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(options.Value.CleanupInterval, clock, stop); }
            catch (OperationCanceledException) { return; }
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
                var now = clock.GetUtcNow().ToUnixTimeSeconds();
                await db.QuotaCounters.Where(c => c.ExpiresUnix < now).ExecuteDeleteAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception e) when (Outages.IsOutage(e)) { log.LogWarning("Quota counter cleanup cannot reach the database ({Error})", e.GetBaseException().Message); }
        }
    }
}
