using System.Globalization;
using System.Collections.Concurrent;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Ims;

/// <summary>Invalidated token ids (jti). Loaded at start, updated on invalidate; rows expire with their tokens.</summary>
public sealed class RevocationList
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);
    private readonly IServiceScopeFactory scopes;
    private readonly TimeProvider clock;
    private readonly ClusterNotifier notifier;
    private readonly ILogger<RevocationList> log;

    private readonly KilnMetrics metrics;

    public RevocationList(IServiceScopeFactory scopes, TimeProvider clock, ClusterNotifier notifier, KilnMetrics metrics, ILogger<RevocationList> log)
    {
        (this.scopes, this.clock, this.notifier, this.metrics, this.log) = (scopes, clock, notifier, metrics, log);
        notifier.Subscribe(ClusterTopic.TokenRevoked, m =>
        {
            var parts = m.Payload.Split(':');
            if (parts.Length == 2 && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var exp))
                _revoked[parts[0]] = DateTimeOffset.FromUnixTimeSeconds(exp);
        });
        notifier.Subscribe(ClusterTopic.Resync, m => { _ = ReloadAsync(); });
    }

    public bool IsRevoked(string jti) => _revoked.ContainsKey(jti);

    public async Task LoadAsync(KilnDb db, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var r in await db.RevokedTokens.AsNoTracking().Where(r => r.ExpiresAt > now).ToListAsync(ct))
            _revoked[r.Jti] = r.ExpiresAt;
    }

    public async Task RevokeAsync(string jti, DateTimeOffset expiresAt, CancellationToken ct)
    {
        _revoked[jti] = expiresAt;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        if (!await db.RevokedTokens.AnyAsync(r => r.Jti == jti, ct))
        {
            db.RevokedTokens.Add(new RevokedToken { Jti = jti, ExpiresAt = expiresAt, RevokedAt = clock.GetUtcNow() });
            try { await db.SaveChangesAsync(ct); } catch (DbUpdateException) { /* already revoked concurrently */ }
        }
        metrics.TokenRevoked();
        notifier.Publish(ClusterTopic.TokenRevoked, jti + ":" + expiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>After missed notifications: reads the revocations again.</summary>
    private async Task ReloadAsync()
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await LoadAsync(scope.ServiceProvider.GetRequiredService<KilnDb>(), CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Could not reload revocations after a lost change-notification connection");
        }
    }

    public void Prune()
    {
        var now = clock.GetUtcNow();
        foreach (var (jti, exp) in _revoked)
            if (exp < now) _revoked.TryRemove(jti, out _);
    }
}
