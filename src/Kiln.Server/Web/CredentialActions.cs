using Kiln.Server.Console;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Web;

/// <summary>
/// The credential page's actions that have no REST building block to call: the same rules as the secrets API
/// (limit, last-secret guard, cache invalidation, audit), with the signed-in user as the actor.
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

    /// <summary>
    /// "Generate access token": a real token, exactly as the token endpoint would mint it for this credential
    /// (all granted scopes, technical account as user), bound to the credential's newest secret so that deleting
    /// that secret (or the credential) revokes it like any other token. The secret's "last used" is not touched:
    /// it tells which secrets clients still use.
    /// </summary>
    public static async Task<(IssuedToken? Token, OpError? Error)> GenerateTokenAsync(KilnDb db, TokenIssuer issuer, TimeProvider clock,
        Actor actor, Credential cred, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var secrets = await db.ClientSecrets.AsNoTracking().Where(s => s.CredentialId == cred.Id).ToListAsync(ct);
        var secret = secrets.Where(s => s.ExpiresAt is null || s.ExpiresAt > now).OrderByDescending(s => s.CreatedAt).FirstOrDefault();
        if (secret is null) return (null, OpError.Conflict("no_secret", "The credential has no valid client secret; add one first."));
        var scopes = Services.GrantedScopes(cred.Services.Select(s => s.SdkCode));
        if (scopes.Count == 0) return (null, OpError.Conflict("no_api", "Add an API to the credential first; its scopes go into the token."));
        var orgCode = await db.Orgs.AsNoTracking().Where(o => o.Id == cred.OrgId).Select(o => o.Code).FirstAsync(ct);
        var token = issuer.Issue(new TokenSubject(cred.ClientId, cred.TechnicalAccountId, orgCode, cred.Id, secret.Uuid, scopes));
        actor.Audit(db, clock, cred.OrgId, "token.generate", $"credential:{cred.Id}/secret:{secret.Uuid}", "console UI");
        await db.SaveChangesAsync(ct);
        return (token, null);
    }

    /// <summary>The token request as a ready-to-paste curl command.</summary>
    public static string CurlCommand(string baseUrl, string clientId, IReadOnlyList<string> scopes, string? secret) =>
        $"""
        curl -X POST '{baseUrl}/ims/token/v3' \
          -H 'Content-Type: application/x-www-form-urlencoded' \
          -d "grant_type=client_credentials&client_id={clientId}&client_secret={secret ?? "$FIREFLY_SERVICES_CLIENT_SECRET"}&scope={string.Join(',', scopes)}"
        """;
}
