using System.Collections.Concurrent;
using Kiln.Server.Console;
using Kiln.Server.Data;
using Kiln.Server.Ims;
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
    private readonly ConcurrentDictionary<long, (bool Active, DateTimeOffset LoadedAt)> _users = new();

    public async ValueTask<bool> IsActiveAsync(long userId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_users.TryGetValue(userId, out var hit) && now - hit.LoadedAt < options.Value.UserCacheMaxAge) return hit.Active;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var active = await db.Users.AsNoTracking().AnyAsync(u => u.Id == userId && !u.Disabled, ct);
        if (_users.Count > 50_000) _users.Clear();
        _users[userId] = (active, now);
        return active;
    }

    public void Invalidate(long userId) => _users.TryRemove(userId, out _);
}

/// <summary>The gate's hook: a user token works only while its user exists and is enabled.</summary>
public sealed class UserTokenCheck(UserCache users) : IUserTokenCheck
{
    public async ValueTask<bool> IsActiveAsync(ImsCaller caller, CancellationToken ct) =>
        UserIds.TryGetUser(caller, out var id) && await users.IsActiveAsync(id, ct);
}

/// <summary>A user's role in an org comes from their membership; no membership, no access (404).</summary>
public sealed class MembershipRoles(KilnDb db) : IOrgRoleSource
{
    public Task<string?> RoleAsync(ImsCaller caller, long orgId, CancellationToken ct) =>
        UserIds.TryGetUser(caller, out var id) ? UserAccounts.RoleAsync(db, id, orgId, ct) : Task.FromResult<string?>(null);
}

/// <summary><c>GET /ims/organizations/v6</c> for user tokens: the orgs the user is a member of.</summary>
public sealed class MembershipDirectory(KilnDb db) : IOrgDirectory
{
    public async Task<IReadOnlyCollection<long>> OrgsOfAsync(ImsCaller caller, CancellationToken ct) =>
        UserIds.TryGetUser(caller, out var id)
            ? await db.OrgMemberships.AsNoTracking().Where(m => m.UserId == id).Select(m => m.OrgId).ToListAsync(ct)
            : [];
}
