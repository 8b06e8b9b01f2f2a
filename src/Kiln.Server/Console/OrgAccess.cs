using Kiln.Server.Data;
using Kiln.Server.Hosting;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>
/// Who may touch what in the Console API (§6 item 14). A credential acts inside its own org only; a user
/// acts in the orgs they are a member of, with their role. Anything outside answers 404, never 403,
/// so the response does not reveal that it exists.
/// </summary>
public sealed class OrgAccess(KilnDb db, IEnumerable<IOrgRoleSource> roleSources)
{
    public const string Admin = "admin";
    public const string Developer = "developer";

    /// <summary>The caller's role in the org, or null when the org is not theirs (or does not exist).</summary>
    public async Task<string?> RoleInAsync(ImsCaller caller, string orgIdText, CancellationToken ct)
    {
        if (!Ids.TryParseId(orgIdText, out var orgId)) return null;
        if (caller.IsCredential)
            return caller.OrgId == orgId && caller.HasScope("adobeio_api") ? Developer : caller.OrgId == orgId ? "self" : null;
        foreach (var source in roleSources)
            if (await source.RoleAsync(caller, orgId, ct) is { } role) return role;
        return null;
    }

    /// <summary>
    /// The org as the Console API sees it for this caller: null when the caller has no role there (or may only
    /// manage its own secrets), which handlers answer with 404.
    /// </summary>
    public async Task<OrgContext?> OrgAsync(ImsCaller caller, string orgIdText, CancellationToken ct)
    {
        var role = await RoleInAsync(caller, orgIdText, ct);
        return role is Admin or Developer ? new OrgContext(long.Parse(orgIdText, System.Globalization.CultureInfo.InvariantCulture), role) : null;
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
    public bool IsAdmin => Role == OrgAccess.Admin;
}

/// <summary>The user-accounts feature answers a user's role in an org.</summary>
public interface IOrgRoleSource
{
    Task<string?> RoleAsync(ImsCaller caller, long orgId, CancellationToken ct);
}
