using Kiln.Server.Core;
using Kiln.Server.Users;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>
/// Who may touch what in the Console API (§6 item 14). A credential acts inside its own org only; a user
/// acts in the orgs they are a member of, with their role. Anything outside answers 404, never 403,
/// so the response does not reveal that it exists.
/// </summary>
public sealed class OrgAccess(KilnDb db)
{
    /// <summary>The caller's role in the org, or null when the org is not theirs (or does not exist).</summary>
    public async Task<string?> RoleInAsync(ImsCaller caller, string orgIdText, CancellationToken ct)
    {
        if (!Ids.TryParseId(orgIdText, out var orgId)) return null;
        if (caller.IsCredential)
            return caller.OrgId == orgId && caller.HasScope("adobeio_api") ? Roles.Developer : caller.OrgId == orgId ? "self" : null;
        return UserIds.TryGetUser(caller, out var userId) ? await UserAccounts.RoleAsync(db, userId, orgId, ct) : null;
    }

    /// <summary>
    /// The org as the Console API sees it for this caller: null when the caller has no role there (or may only
    /// manage its own secrets), which handlers answer with 404.
    /// </summary>
    public async Task<OrgContext?> OrgAsync(ImsCaller caller, string orgIdText, CancellationToken ct)
    {
        var role = await RoleInAsync(caller, orgIdText, ct);
        return role is Roles.Admin or Roles.Developer ? new OrgContext(long.Parse(orgIdText, System.Globalization.CultureInfo.InvariantCulture), role) : null;
    }

    /// <summary>Finds a credential the caller may manage the secrets of (its own, or any in the org with a role).</summary>
    public async Task<Credential?> CredentialForSecretsAsync(ImsCaller caller, string orgIdText, string credentialIdText, CancellationToken ct)
    {
        if (!Ids.TryParseId(orgIdText, out var orgId) || !Ids.TryParseId(credentialIdText, out var credId)) return null;
        var role = await RoleInAsync(caller, orgIdText, ct);
        if (role is null) return null;
        if (role == "self" && caller.CredentialId != credId) return null;
        return await db.Credentials.AsNoTracking().FirstOrDefaultAsync(c => c.Id == credId && c.OrgId == orgId, ct);
    }
}

/// <summary>An org the caller may act in, with the caller's role there.</summary>
public sealed record OrgContext(long OrgId, string Role)
{
    public bool IsAdmin => Role == Roles.Admin;
}
