using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Users;

/// <summary>A member of an org as the members API and the UI show it.</summary>
public sealed record Member(long UserId, string Email, string Role, DateTimeOffset AddedAt, bool Disabled);

/// <summary>A member just added; <see cref="NewPassword"/> is set only when the user account was created by the add (shown once).</summary>
public sealed record AddedMember(Member Member, string? NewPassword);

/// <summary>
/// Org membership, for the REST API, the web UI and <c>kiln admin</c> (admins only: the caller checks the role).
/// An org always keeps at least one admin: role changes and removals count the admins and act under the org's lock
/// (<see cref="RowLocks"/>), so two admins demoted or removed at the same moment cannot both go; adds check for an
/// existing membership under the same lock.
/// </summary>
public sealed class Members(KilnDb db, TimeProvider clock)
{
    public async Task<List<Member>> ListAsync(long orgId, CancellationToken ct)
    {
        var rows = await (from m in db.OrgMemberships.AsNoTracking()
                          join u in db.Users.AsNoTracking() on m.UserId equals u.Id
                          where m.OrgId == orgId
                          select new Member(u.Id, u.Email, m.Role, m.CreatedAt, u.Disabled)).ToListAsync(ct);
        return rows.OrderBy(m => m.Email, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Adds a user to the org with a role ("invite by email"). Kiln sends no email: an unknown address gets a new
    /// account with a generated password, returned once for the admin to pass on.
    /// </summary>
    public async Task<OpResult<AddedMember>> AddAsync(Actor actor, long orgId, string? email, string? role, CancellationToken ct)
    {
        if (UserAccounts.EmailProblem(email) is { } bad) return bad;
        if (email is null) return OpError.BadRequest("email is required");
        if (role is null || !UserAccounts.IsValidRole(role)) return OpError.BadRequest("role must be admin or developer");
        // Under the org's lock, so two invitations of one address make one membership (and at most one account).
        await using var tx = await db.LockOrgAsync(orgId, ct);
        var user = await UserAccounts.FindByEmailAsync(db, email, ct);
        string? password = null;
        if (user is null)
        {
            password = UserAccounts.NewPassword();
            (user, var error) = await UserAccounts.CreateAsync(db, clock, email, password, ct);
            if (user is null) return error ?? OpError.BadRequest("the account could not be created");
        }
        else if (await db.OrgMemberships.AnyAsync(m => m.OrgId == orgId && m.UserId == user.Id, ct))
            return OpError.Conflict("member_exists", "This user is already a member of the organization.");
        var now = clock.GetUtcNow();
        db.OrgMemberships.Add(new OrgMembership { OrgId = orgId, UserId = user.Id, Role = role, CreatedAt = now });
        actor.Audit(db, clock, AuditScope.Org(orgId), "member.add", $"user:{user.Id}", $"{user.Email} as {role}{(password is null ? "" : " (new account)")}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new AddedMember(new Member(user.Id, user.Email, role, now, user.Disabled), password);
    }

    public async Task<OpResult<Member>> SetRoleAsync(Actor actor, long orgId, long userId, string? role, CancellationToken ct)
    {
        if (role is null || !UserAccounts.IsValidRole(role)) return OpError.BadRequest("role must be admin or developer");
        await using var tx = await db.LockOrgAsync(orgId, ct);
        var m = await db.OrgMemberships.FirstOrDefaultAsync(x => x.OrgId == orgId && x.UserId == userId, ct);
        if (m is null) return OpError.NotFound("Member Not Found");
        if (m.Role == Roles.Admin && role != Roles.Admin && await IsLastAdminAsync(orgId, ct)) return LastAdmin();
        var old = m.Role;
        m.Role = role;
        actor.Audit(db, clock, AuditScope.Org(orgId), "member.role", $"user:{userId}", $"{old} -> {role}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == userId, ct);
        return new Member(userId, user.Email, m.Role, m.CreatedAt, user.Disabled);
    }

    /// <summary>Removes a member; their user tokens stop working in this org at once (the role check finds nothing).</summary>
    public async Task<OpError?> RemoveAsync(Actor actor, long orgId, long userId, CancellationToken ct)
    {
        await using var tx = await db.LockOrgAsync(orgId, ct);
        var m = await db.OrgMemberships.FirstOrDefaultAsync(x => x.OrgId == orgId && x.UserId == userId, ct);
        if (m is null) return OpError.NotFound("Member Not Found");
        if (m.Role == Roles.Admin && await IsLastAdminAsync(orgId, ct)) return LastAdmin();
        db.OrgMemberships.Remove(m);
        actor.Audit(db, clock, AuditScope.Org(orgId), "member.remove", $"user:{userId}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return null;
    }

    private async Task<bool> IsLastAdminAsync(long orgId, CancellationToken ct) =>
        await db.OrgMemberships.CountAsync(x => x.OrgId == orgId && x.Role == Roles.Admin, ct) <= 1;

    private static OpError LastAdmin() => OpError.Conflict("last_admin", "An organization needs at least one admin.");
}
