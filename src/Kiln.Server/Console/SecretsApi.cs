using Kiln.Server.Core;
using Kiln.Server.Ims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Server.Console;

/// <summary>Client-secret rotation, the I/O Management API calls of the seed (docs/console.md#client-secrets, docs/console.md#client-secret-rules).</summary>
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
        string orgId, string credentialId, ImsCaller caller, OrgAccess access, SecretOps secrets, CancellationToken ct)
    {
        var cred = await access.CredentialForSecretsAsync(caller, orgId, credentialId, ct);
        if (cred is null) return ApiErrors.NotFound("Credential Not Found");
        return TypedResults.Ok(new SecretListDto(cred.ClientId, (await secrets.ListAsync(cred, ct)).Select(s => s.Dto).ToList()));
    }

    public static async Task<Results<Created<NewSecretDto>, JsonHttpResult<ApiError>>> AddAsync(
        string orgId, string credentialId, ImsCaller caller, OrgAccess access, SecretOps secrets, HttpContext ctx, CancellationToken ct)
    {
        var cred = await access.CredentialForSecretsAsync(caller, orgId, credentialId, ct);
        if (cred is null) return ApiErrors.NotFound("Credential Not Found");
        if ((await secrets.AddAsync(Actor.Of(caller, ctx), cred, ct)).Failed(out var error, out var added)) return error.ToResult();
        return TypedResults.Created($"/console/organizations/{cred.OrgId}/credentials/{cred.Id}/secrets/{added.Secret.Uuid}",
            added.Secret.AsNewSecretDto(added.Plaintext));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteAsync(
        string orgId, string credentialId, string uuid, bool? force, ImsCaller caller, OrgAccess access, SecretOps secrets,
        HttpContext ctx, CancellationToken ct)
    {
        var cred = await access.CredentialForSecretsAsync(caller, orgId, credentialId, ct);
        if (cred is null) return ApiErrors.NotFound("Credential Not Found");
        var error = await secrets.DeleteAsync(Actor.Of(caller, ctx), cred, uuid, force == true, "Repeat with ?force=true to delete it anyway.", ct);
        return error is null ? TypedResults.NoContent() : error.ToResult();
    }
}
