using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Users;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>
/// The one access check of the console, for the REST API (the token's caller) and the web UI (the signed-in user):
/// who may touch what in which org (docs/console.md#who-may-do-what). A credential acts inside its own org only; a user
/// token acts only in the org it was approved for (<see cref="Memberships"/>), and a signed-in user in the orgs they
/// are a member of; the role is read on every request. Anything outside answers 404, never 403, so the
/// response does not reveal that it exists.
/// </summary>
public sealed class OrgAccess(KilnDb db)
{
    /// <summary>A credential without <c>adobeio_api</c>: it may only manage its own secrets.</summary>
    public const string Self = "self";

    /// <summary>The caller's role in the org, or null when the org is not theirs (or does not exist).</summary>
    public async Task<string?> RoleInAsync(ImsCaller caller, string orgIdText, CancellationToken ct)
    {
        if (!Ids.TryParseId(orgIdText, out var orgId)) return null;
        if (caller.IsCredential)
            return caller.OrgId == orgId && caller.HasScope("adobeio_api") ? Roles.Developer : caller.OrgId == orgId ? Self : null;
        return await Memberships.RoleAsync(db, caller, orgId, ct); // a user token: its own org only
    }

    /// <summary>
    /// The org as the Console API sees it for this caller: null when the caller has no role there (or may only
    /// manage its own secrets), which handlers answer with 404.
    /// </summary>
    public async Task<OrgContext?> OrgAsync(ImsCaller caller, string orgIdText, CancellationToken ct) =>
        await RoleInAsync(caller, orgIdText, ct) is (Roles.Admin or Roles.Developer) and var role
            ? new OrgContext(long.Parse(orgIdText, System.Globalization.CultureInfo.InvariantCulture), role) : null;

    /// <summary>The org named by a UI URL for the signed-in user, or null when it is not one of theirs (or not an id at all).</summary>
    public async Task<OrgContext?> OrgAsync(long userId, string? orgIdText, CancellationToken ct) =>
        Ids.TryParseId(orgIdText, out var orgId) && await UserRoleAsync(userId, orgId, ct) is { } role ? new OrgContext(orgId, role) : null;

    /// <summary>Finds a credential the caller may manage the secrets of (its own, or any in the org with a role).</summary>
    public async Task<Credential?> CredentialForSecretsAsync(ImsCaller caller, string orgIdText, string credentialIdText, CancellationToken ct)
    {
        if (!Ids.TryParseId(orgIdText, out var orgId) || !Ids.TryParseId(credentialIdText, out var credId)) return null;
        var role = await RoleInAsync(caller, orgIdText, ct);
        if (role is null) return null;
        if (role == Self && caller.CredentialId != credId) return null;
        return await db.Credentials.AsNoTracking().FirstOrDefaultAsync(c => c.Id == credId && c.OrgId == orgId, ct);
    }

    /// <summary>The workspace a path names, when the caller may act in its org; null answers 404.</summary>
    public async Task<Workspace?> WorkspaceAsync(ImsCaller caller, string orgId, string projectId, string workspaceId, CancellationToken ct)
    {
        if (await OrgAsync(caller, orgId, ct) is not { } org) return null;
        if (!Ids.TryParseId(projectId, out var pid) || !Ids.TryParseId(workspaceId, out var wid)) return null;
        return await db.Workspaces.AsNoTracking().FirstOrDefaultAsync(w => w.Id == wid && w.ProjectId == pid && w.OrgId == org.OrgId, ct);
    }

    private Task<string?> UserRoleAsync(long userId, long orgId, CancellationToken ct) => UserAccounts.RoleAsync(db, userId, orgId, ct);
}

/// <summary>An org the caller may act in, with the caller's role there.</summary>
public sealed record OrgContext(long OrgId, string Role)
{
    public bool IsAdmin => Role == Roles.Admin;
}
