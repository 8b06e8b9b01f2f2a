using System.Collections.Concurrent;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Ims;

/// <summary>What the token endpoint and the gate need to know about a credential, read in one query.</summary>
public sealed record CredentialSnapshot(
    long Id, string ClientId, long OrgId, string OrgCode, long ProjectId, long WorkspaceId,
    bool Enabled, string TechnicalAccountId, IReadOnlyList<SecretSnapshot> Secrets, IReadOnlyList<string> GrantedScopes,
    DateTimeOffset LoadedAt);

public sealed record SecretSnapshot(string Uuid, byte[] Hash, DateTimeOffset? ExpiresAt);

/// <summary>
/// Caches credentials by client id so that token minting and validation touch no database on the hot path.
/// Every change to a credential, its secrets or its services must call <see cref="Invalidate"/> before
/// answering, which is how revocation beats the cache: every node drops the entry (<see cref="ClusterNotifier"/>).
/// Entries also age out after <see cref="MaxAge"/>, which bounds staleness for changes made by other processes.
/// </summary>
public sealed class CredentialCache
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, CredentialSnapshot> _byClientId = new(StringComparer.Ordinal);
    private readonly IServiceScopeFactory scopes;
    private readonly TimeProvider clock;
    private readonly ClusterNotifier notifier;

    public CredentialCache(IServiceScopeFactory scopes, TimeProvider clock, ClusterNotifier notifier)
    {
        (this.scopes, this.clock, this.notifier) = (scopes, clock, notifier);
        notifier.Subscribe(ClusterTopic.CredentialChanged, m => _byClientId.TryRemove(m.Payload, out _));
        notifier.Subscribe(ClusterTopic.Resync, _ => _byClientId.Clear());
    }

    public async ValueTask<CredentialSnapshot?> GetAsync(string clientId, CancellationToken ct)
    {
        if (_byClientId.TryGetValue(clientId, out var hit) && clock.GetUtcNow() - hit.LoadedAt < MaxAge) return hit;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var snap = await LoadAsync(db, clientId, clock.GetUtcNow(), ct);
        if (snap is null) { _byClientId.TryRemove(clientId, out _); return null; }
        if (_byClientId.Count > 50_000) _byClientId.Clear();
        _byClientId[clientId] = snap;
        return snap;
    }

    /// <summary>Drops the credential's entry on every node.</summary>
    public void Invalidate(string clientId) => notifier.Publish(ClusterTopic.CredentialChanged, clientId);

    private static async Task<CredentialSnapshot?> LoadAsync(KilnDb db, string clientId, DateTimeOffset now, CancellationToken ct)
    {
        var row = await db.Credentials.AsNoTracking().AsSplitQuery()
            .Where(c => c.ClientId == clientId)
            .Select(c => new
            {
                c.Id, c.ClientId, c.OrgId, c.ProjectId, c.WorkspaceId, c.Enabled, c.TechnicalAccountId,
                OrgCode = db.Orgs.Where(o => o.Id == c.OrgId).Select(o => o.Code).FirstOrDefault(),
                Secrets = c.Secrets.Select(s => new SecretSnapshot(s.Uuid, s.Hash, s.ExpiresAt)).ToList(),
                Services = c.Services.Select(s => s.SdkCode).ToList(),
            })
            .FirstOrDefaultAsync(ct);
        // Ordinal re-check: never trust a provider's collation with a client id.
        if (row is null || !string.Equals(row.ClientId, clientId, StringComparison.Ordinal) || row.OrgCode is null) return null;
        return new CredentialSnapshot(row.Id, row.ClientId, row.OrgId, row.OrgCode, row.ProjectId, row.WorkspaceId, row.Enabled,
            row.TechnicalAccountId, row.Secrets, Services.GrantedScopes(row.Services), now);
    }
}
