using System.Collections.Concurrent;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Ims;

/// <summary>Invalidated token ids (jti). Loaded at start, updated on invalidate; rows expire with their tokens.</summary>
public sealed class RevocationList(IServiceScopeFactory scopes, TimeProvider clock)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _revoked = new(StringComparer.Ordinal);

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
        Revoked?.Invoke(jti, expiresAt);
    }

    /// <summary>Records a revocation made by another node.</summary>
    public void AddLocal(string jti, DateTimeOffset expiresAt) => _revoked[jti] = expiresAt;

    public event Action<string, DateTimeOffset>? Revoked;

    public void Prune()
    {
        var now = clock.GetUtcNow();
        foreach (var (jti, exp) in _revoked)
            if (exp < now) _revoked.TryRemove(jti, out _);
    }
}
