using System.Collections.Concurrent;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Users;

/// <summary>
/// Whether a user may still use their tokens (exists, not disabled), cached briefly so that the gate does not
/// hit the database on every request. Every change to a user made in this process calls <see cref="Invalidate"/>;
/// changes made elsewhere (<c>kiln admin</c>, other nodes) are seen within <see cref="AccountOptions.UserCacheMaxAge"/>.
/// </summary>
public sealed class UserCache(IServiceScopeFactory scopes, TimeProvider clock, IOptions<AccountOptions> options)
{
    private readonly ConcurrentDictionary<long, (bool Active, DateTimeOffset? ValidAfter, DateTimeOffset LoadedAt)> _users = new();

    /// <summary>Whether a token of this user, minted at <paramref name="tokenCreatedAt"/>, may still be used.</summary>
    public async ValueTask<bool> IsActiveAsync(long userId, DateTimeOffset tokenCreatedAt, CancellationToken ct)
    {
        var (active, validAfter) = await LoadAsync(userId, ct);
        return active && (validAfter is null || tokenCreatedAt >= validAfter);
    }

    public async ValueTask<bool> IsActiveAsync(long userId, CancellationToken ct) => (await LoadAsync(userId, ct)).Active;

    private async ValueTask<(bool Active, DateTimeOffset? ValidAfter)> LoadAsync(long userId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_users.TryGetValue(userId, out var hit) && now - hit.LoadedAt < options.Value.UserCacheMaxAge) return (hit.Active, hit.ValidAfter);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var row = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => new { u.Disabled, u.TokensValidAfter }).FirstOrDefaultAsync(ct);
        var entry = (row is not null && !row.Disabled, row?.TokensValidAfter, now);
        if (_users.Count > 50_000) _users.Clear();
        _users[userId] = entry;
        return (entry.Item1, entry.TokensValidAfter);
    }

    public void Invalidate(long userId) => _users.TryRemove(userId, out _);
}

/// <summary>Org membership as the other features ask for it.</summary>
public static class Memberships
{
    /// <summary>The orgs the user behind a user token is a member of (none for a credential).</summary>
    public static async Task<IReadOnlyCollection<long>> OrgsOfAsync(KilnDb db, ImsCaller caller, CancellationToken ct) =>
        UserIds.TryGetUser(caller, out var id)
            ? await db.OrgMemberships.AsNoTracking().Where(m => m.UserId == id).Select(m => m.OrgId).ToListAsync(ct)
            : [];
}
