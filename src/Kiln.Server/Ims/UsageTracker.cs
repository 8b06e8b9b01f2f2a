using System.Collections.Concurrent;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Ims;

/// <summary>
/// Remembers when each secret last minted a token, in memory, and writes it in the background at most
/// once per flush interval per secret (and on shutdown), so token requests never wait on a write.
/// Readers merge <see cref="Pending"/> over the stored value.
/// </summary>
public sealed class UsageTracker
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, string GrantType)> _pending = new(StringComparer.Ordinal);

    public void Record(string secretUuid, DateTimeOffset at, string grantType) =>
        _pending.AddOrUpdate(secretUuid, (at, grantType), (_, old) => old.At >= at ? old : (at, grantType));

    public (DateTimeOffset At, string GrantType)? Pending(string secretUuid) =>
        _pending.TryGetValue(secretUuid, out var v) ? v : null;

    internal IReadOnlyList<(string Uuid, DateTimeOffset At, string GrantType)> Snapshot() =>
        _pending.Select(kv => (kv.Key, kv.Value.At, kv.Value.GrantType)).ToList();

    /// <summary>Forgets an entry once it is stored, unless a newer use arrived meanwhile.</summary>
    internal void Acknowledge(string uuid, DateTimeOffset at)
    {
        if (_pending.TryGetValue(uuid, out var v) && v.At == at)
            _pending.TryRemove(new KeyValuePair<string, (DateTimeOffset, string)>(uuid, v));
    }
}

/// <summary>Flushes secret usage and aggregated failed-attempt audit records on an interval and at shutdown.</summary>
public sealed class UsageFlusher(
    UsageTracker usage, BruteForceGuard guard, IServiceScopeFactory scopes, TimeProvider clock,
    IOptions<ImsOptions> options, ILogger<UsageFlusher> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await Task.Delay(options.Value.UsageFlushInterval, clock, stoppingToken); }
            catch (OperationCanceledException) { return; }
            await FlushAsync(CancellationToken.None);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(CancellationToken.None); // lose nothing on a clean shutdown
    }

    public async Task FlushAsync(CancellationToken ct)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            foreach (var (uuid, at, grant) in usage.Snapshot())
            {
                await db.ClientSecrets
                    .Where(s => s.Uuid == uuid && (s.LastUsedAt == null || s.LastUsedAt < at))
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastUsedAt, at).SetProperty(x => x.LastGrantType, grant), ct);
                usage.Acknowledge(uuid, at);
            }
            var failures = guard.DrainFailures();
            if (failures.Count > 0)
            {
                try { await WriteFailuresAsync(db, failures, ct); }
                catch
                {
                    guard.ReturnFailures(failures); // not written: keep them for the next flush
                    throw;
                }
            }
            guard.Prune();
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Usage flush failed; will retry on the next interval");
        }
    }

    private async Task WriteFailuresAsync(KilnDb db, IReadOnlyList<(string ClientId, string Address, int Count)> failures, CancellationToken ct)
    {
        var clientIds = failures.Select(f => f.ClientId).Distinct().ToList();
        var owners = await db.Credentials.AsNoTracking().Where(c => clientIds.Contains(c.ClientId))
            .ToDictionaryAsync(c => c.ClientId, c => new AuditScope(c.OrgId, c.ProjectId), ct);
        var now = clock.GetUtcNow();
        foreach (var (clientId, address, count) in failures)
            db.AuditRecords.Add(Audit.Record(owners.GetValueOrDefault(clientId, AuditScope.Org(null)), now,
                "client", clientId.Length == 0 ? "(none)" : clientId, "token.failed", clientId, $"{count} failed token attempt(s)", address, count));
        await db.SaveChangesAsync(ct);
    }
}
