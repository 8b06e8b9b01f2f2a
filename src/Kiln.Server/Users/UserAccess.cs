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

/// <summary>
/// Org membership as the other features ask for it, for user tokens. A user token is bound to the one org it was
/// approved for (its <c>org</c> claim, docs/console.md#who-may-do-what): it acts there with the user's role, while the
/// user is still a member, and nowhere else, whatever other orgs the user belongs to.
/// </summary>
public static class Memberships
{
    /// <summary>The user token's org with the user's role there: none for a credential, a token without a user, or a user no longer a member.</summary>
    public static async Task<List<(Org Org, string Role)>> OrgsOfAsync(KilnDb db, ImsCaller caller, CancellationToken ct)
    {
        if (!UserIds.TryGetUser(caller, out var id) || caller.OrgCode.Length == 0) return [];
        var rows = await (from m in db.OrgMemberships.AsNoTracking()
                          join o in db.Orgs.AsNoTracking() on m.OrgId equals o.Id
                          where m.UserId == id && o.Code == caller.OrgCode
                          select new { o, m.Role }).ToListAsync(ct);
        return rows.Select(r => (r.o, r.Role)).ToList();
    }

    /// <summary>The user token's role in the org, or null when the org is not the token's (or the user is no longer a member there).</summary>
    public static async Task<string?> RoleAsync(KilnDb db, ImsCaller caller, long orgId, CancellationToken ct)
    {
        if (!UserIds.TryGetUser(caller, out var id) || caller.OrgCode.Length == 0) return null;
        return await (from m in db.OrgMemberships.AsNoTracking()
                      join o in db.Orgs.AsNoTracking() on m.OrgId equals o.Id
                      where m.UserId == id && m.OrgId == orgId && o.Code == caller.OrgCode
                      select m.Role).FirstOrDefaultAsync(ct);
    }
}
