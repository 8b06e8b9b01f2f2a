using Kiln.Server.Core;
using Kiln.Server.Console;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Web;

/// <summary>
/// The credential page's secret actions, which have no building block outside the secrets API's handlers: the same
/// rules (limit, last-secret guard, cache invalidation, audit), with the signed-in user as the actor.
/// "Generate access token" uses <see cref="CredentialOps.GenerateTokenAsync"/>.
/// </summary>
public static class CredentialActions
{
    public static async Task<(ClientSecret? Secret, string? Plaintext, OpError? Error)> AddSecretAsync(KilnDb db, SecretHasher hasher,
        CredentialCache cache, TimeProvider clock, Actor actor, Credential cred, int limit, CancellationToken ct)
    {
        if (await db.ClientSecrets.CountAsync(s => s.CredentialId == cred.Id, ct) >= limit)
            return (null, null, OpError.Conflict("secret_limit_reached", $"A credential may have at most {limit} client secrets; delete one first."));
        var plaintext = SecretHasher.NewSecret();
        var secret = SecretsApi.NewSecret(cred.Id, plaintext, hasher, clock);
        db.ClientSecrets.Add(secret);
        actor.Audit(db, clock, cred.OrgId, "secret.add", $"credential:{cred.Id}/secret:{secret.Uuid}");
        await db.SaveChangesAsync(ct);
        cache.Invalidate(cred.ClientId);
        return (secret, plaintext, null);
    }

    /// <summary>Deletes a secret; its tokens stop working at once. The last secret goes only with <paramref name="force"/>.</summary>
    public static async Task<OpError?> DeleteSecretAsync(KilnDb db, CredentialCache cache, TimeProvider clock, Actor actor, Credential cred,
        string uuid, bool force, CancellationToken ct)
    {
        var secret = await db.ClientSecrets.FirstOrDefaultAsync(s => s.Uuid == uuid && s.CredentialId == cred.Id, ct);
        if (secret is null) return OpError.NotFound("Secret Not Found");
        if (!force && await db.ClientSecrets.CountAsync(s => s.CredentialId == cred.Id, ct) <= 1)
            return OpError.Conflict("last_secret", "This is the credential's last secret; deleting it stops every client. Tick the box to delete it anyway.");
        db.ClientSecrets.Remove(secret);
        actor.Audit(db, clock, cred.OrgId, "secret.delete", $"credential:{cred.Id}/secret:{uuid}", force ? "forced" : "");
        await db.SaveChangesAsync(ct);
        cache.Invalidate(cred.ClientId);
        return null;
    }

    /// <summary>The token request as a ready-to-paste curl command.</summary>
    public static string CurlCommand(string baseUrl, string clientId, IReadOnlyList<string> scopes, string? secret) =>
        $"""
        curl -X POST '{baseUrl}/ims/token/v3' \
          -H 'Content-Type: application/x-www-form-urlencoded' \
          -d "grant_type=client_credentials&client_id={clientId}&client_secret={secret ?? "$FIREFLY_SERVICES_CLIENT_SECRET"}&scope={string.Join(',', scopes)}"
        """;
}
