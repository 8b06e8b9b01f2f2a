using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Console;

/// <summary>Client-secret rotation, the I/O Management API calls of the seed (§2.3, §6 items 10-14).</summary>
public static class SecretsApi
{
    public static RouteGroupBuilder MapSecrets(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/console/organizations/{orgId}/credentials/{credentialId}/secrets")
            .WithTags("Console: secrets").RequireIms();
        g.MapGet("/", ListAsync).RequireScopes("read_client_secret").WithName("ListSecrets");
        g.MapPost("/", AddAsync).RequireScopes("manage_client_secrets").WithName("AddSecret").DisableAntiforgery();
        g.MapDelete("/{uuid}", DeleteAsync).RequireScopes("manage_client_secrets").WithName("DeleteSecret");
        return g;
    }

    public static async Task<Results<Ok<SecretListDto>, JsonHttpResult<ApiError>>> ListAsync(
        string orgId, string credentialId, ImsCaller caller, OrgAccess access, KilnDb db, UsageTracker usage, CancellationToken ct)
    {
        var cred = await access.CredentialForSecretsAsync(caller, orgId, credentialId, ct);
        if (cred is null) return ApiErrors.NotFound("Credential Not Found");
        var secrets = await db.ClientSecrets.AsNoTracking().Where(s => s.CredentialId == cred.Id).OrderBy(s => s.CreatedAt).ToListAsync(ct);
        return TypedResults.Ok(new SecretListDto(cred.ClientId, secrets.Select(s => s.AsSecretDto(usage.Pending(s.Uuid))).ToList()));
    }

    public static async Task<Results<Created<NewSecretDto>, JsonHttpResult<ApiError>>> AddAsync(
        string orgId, string credentialId, ImsCaller caller, OrgAccess access, KilnDb db, SecretHasher hasher,
        CredentialCache cache, TimeProvider clock, IOptions<ImsOptions> options, HttpContext ctx, CancellationToken ct)
    {
        var cred = await access.CredentialForSecretsAsync(caller, orgId, credentialId, ct);
        if (cred is null) return ApiErrors.NotFound("Credential Not Found");
        var limit = options.Value.MaxSecretsPerCredential;
        var plaintext = SecretHasher.NewSecret();
        var secret = NewSecret(cred.Id, plaintext, hasher, clock);
        // SQLite transactions begin IMMEDIATE and PostgreSQL locks the credential row, so count-then-insert is serialised.
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            if (db.Database.IsNpgsql()) // lock the credential row: concurrent adds for it queue here
                await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM \"Credentials\" WHERE \"Id\" = {cred.Id} FOR UPDATE", ct);
            if (await db.ClientSecrets.CountAsync(s => s.CredentialId == cred.Id, ct) >= limit) return LimitReached(limit);
            db.ClientSecrets.Add(secret);
            Audit.Write(db, ctx, clock, caller, cred.OrgId, "secret.add", $"credential:{cred.Id}/secret:{secret.Uuid}");
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        cache.Invalidate(cred.ClientId);
        return TypedResults.Created($"/console/organizations/{cred.OrgId}/credentials/{cred.Id}/secrets/{secret.Uuid}", secret.AsNewSecretDto(plaintext));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteAsync(
        string orgId, string credentialId, string uuid, bool? force, ImsCaller caller, OrgAccess access, KilnDb db,
        CredentialCache cache, TimeProvider clock, HttpContext ctx, CancellationToken ct)
    {
        var cred = await access.CredentialForSecretsAsync(caller, orgId, credentialId, ct);
        if (cred is null) return ApiErrors.NotFound("Credential Not Found");
        var secret = await db.ClientSecrets.FirstOrDefaultAsync(s => s.Uuid == uuid && s.CredentialId == cred.Id, ct);
        if (secret is null) return ApiErrors.NotFound("Secret Not Found");
        if (force != true && await db.ClientSecrets.CountAsync(s => s.CredentialId == cred.Id, ct) <= 1)
            return ApiErrors.Conflict("last_secret", "This is the credential's last secret; deleting it stops every client. Repeat with ?force=true to delete it anyway.");
        db.ClientSecrets.Remove(secret);
        Audit.Write(db, ctx, clock, caller, cred.OrgId, "secret.delete", $"credential:{cred.Id}/secret:{uuid}", force == true ? "forced" : "");
        await db.SaveChangesAsync(ct);
        cache.Invalidate(cred.ClientId); // revocation: tokens minted by this secret die on their next request
        return TypedResults.NoContent();
    }

    public static ClientSecret NewSecret(long credentialId, string plaintext, SecretHasher hasher, TimeProvider clock) => new()
    {
        Uuid = Ids.NewHex32(),
        CredentialId = credentialId,
        Hash = hasher.Hash(plaintext),
        Hint = SecretHasher.HintOf(plaintext),
        CreatedAt = clock.GetUtcNow(),
    };

    private static JsonHttpResult<ApiError> LimitReached(int limit) =>
        ApiErrors.Conflict("secret_limit_reached", $"A credential may have at most {limit} client secrets; delete one first.");
}
