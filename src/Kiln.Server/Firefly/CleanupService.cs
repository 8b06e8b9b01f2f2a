using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>Deletes expired outputs and uploads (files and rows), expired rate counters, and finished jobs older than the result lifetime.</summary>
public sealed class CleanupService(IServiceScopeFactory scopes, IBlobStore store, TimeProvider clock, IOptions<FireflyOptions> options,
    ILogger<CleanupService> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stop) =>
        PeriodicLoop.RunAsync(clock, options.Value.CleanupInterval, CleanAsync, e => log.LogWarning(e, "Cleanup failed; will retry"), stop);

    public async Task CleanAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var now = clock.GetUtcNow();
        while (true)
        {
            var batch = await db.StoredBlobs.AsNoTracking().Where(b => b.ExpiresAt <= now).OrderBy(b => b.ExpiresAt).Take(200).ToListAsync(ct);
            if (batch.Count == 0) break;
            foreach (var b in batch) await store.DeleteAsync(b.Key, ct);
            var ids = batch.Select(b => b.Id).ToList();
            await db.StoredBlobs.Where(b => ids.Contains(b.Id)).ExecuteDeleteAsync(ct);
        }
        await db.RateCounters.Where(c => c.ExpiresAt < now).ExecuteDeleteAsync(ct);
        var before = now - options.Value.ResultLifetime;
        await db.Jobs.Where(j => (j.Status == JobStates.Succeeded || j.Status == JobStates.Failed || j.Status == JobStates.Canceled) && j.UpdatedAt < before)
            .ExecuteDeleteAsync(ct);
    }
}
