using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Users;
using Kiln.Server.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.Server.Ims;

/// <summary>The identity service: token, JWKS, validate, invalidate and organizations (docs/identity.md#validate-invalidate-and-organizations, docs/identity.md#endpoints).</summary>
public static class ImsApi
{
    public static RouteGroupBuilder MapIms(this IEndpointRouteBuilder app)
    {
        var ims = app.MapGroup("/ims").WithTags("IMS");
        ims.MapTokenEndpoint();
        ims.MapDeviceCode();
        ims.MapDiscovery();
        ims.MapGet("/keys", Keys).WithSummary("The JSON Web Key Set that verifies access tokens");
        ims.MapPost("/validate_token/v1", ValidateAsync).DisableAntiforgery().WithSummary("Check a token; always 200");
        ims.MapPost("/invalidate_token/v2", InvalidateAsync).DisableAntiforgery().WithSummary("Revoke a token");
        ims.MapGet("/organizations/v6", OrganizationsAsync).WithSummary("The caller's organizations");
        return ims;
    }

    private static Ok<JsonWebKeySetDto> Keys(KeyRing ring, HttpContext ctx)
    {
        ctx.Response.Headers.CacheControl = "public, max-age=300";
        var keys = ring.VerifyingKeys.Select(k =>
        {
            var p = k.ECDsa.ExportParameters(false);
            return new JsonWebKeyDto("EC", "sig", KeyRing.Algorithm, k.KeyId, "P-256",
                Base64UrlEncoder.Encode(p.Q.X!), Base64UrlEncoder.Encode(p.Q.Y!));
        }).ToList();
        return TypedResults.Ok(new JsonWebKeySetDto(keys));
    }

    private static async Task<IResult> ValidateAsync(HttpContext ctx, TokenValidator validator, CancellationToken ct)
    {
        var (req, _) = await TokenRequest.ReadAsync(ctx.Request, ct);
        var token = BearerOf(ctx) ?? req?["token"];
        var (caller, reason) = await validator.ValidateAsync(token, ct);
        OAuthErrors.NoStore(ctx);
        if (caller is null) return TypedResults.Ok(new ValidateResult(false, reason, null, null));
        return TypedResults.Ok(new ValidateResult(true, null, PayloadOf(token!), caller.ExpiresAt.ToUnixTimeMilliseconds()));
    }

    private static async Task<IResult> InvalidateAsync(
        HttpContext ctx, TokenValidator validator, RevocationList revocations, CredentialCache credentials, ClientSecrets secrets, BruteForceGuard guard,
        CancellationToken ct)
    {
        var (req, error) = await TokenRequest.ReadAsync(ctx.Request, ct);
        if (req is null) return OAuthErrors.Error(ctx, "invalid_request", error!);
        var token = req["token"] ?? BearerOf(ctx);
        if (token is null) return OAuthErrors.Error(ctx, "invalid_request", "missing token parameter");
        var (caller, _) = await validator.ValidateAsync(token, ct);
        OAuthErrors.NoStore(ctx);
        if (caller is null) return TypedResults.Ok(new { }); // RFC 7009: an unknown or dead token is not an error
        if (req["client_secret"] is { } secret)
        {
            // A secret check like the token endpoint's, so it is limited by the same windows (no side door for guessing).
            var cred = await credentials.GetAsync(caller.ClientId, ct);
            var address = ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            var attempt = guard.Begin(caller.ClientId, address);
            if (attempt.RetryAfter is { } wait) return OAuthErrors.TooMany(ctx, wait);
            if (cred is null || req["client_id"] is { } id && id != caller.ClientId || secrets.Match(cred, secret) is null)
            {
                guard.Failed(attempt, caller.ClientId, address);
                return OAuthErrors.Error(ctx, "invalid_client", "invalid client_secret parameter");
            }
            guard.Release(attempt);
        }
        await revocations.RevokeAsync(caller.Jti, caller.ExpiresAt, ct);
        return TypedResults.Ok(new { });
    }

    private static async Task<IResult> OrganizationsAsync(HttpContext ctx, TokenValidator validator, KilnDb db, CancellationToken ct)
    {
        var (caller, _) = await validator.ValidateAsync(BearerOf(ctx), ct);
        if (caller is null) return OAuthErrors.Error(ctx, "invalid_token", "Oauth token is not valid", 401);
        var orgIds = new HashSet<long>();
        if (caller.IsCredential) orgIds.Add(caller.OrgId);
        orgIds.UnionWith((await Memberships.OrgsOfAsync(db, caller, ct)).Select(x => x.Org.Id)); // a user token: its own org only
        var orgs = await db.Orgs.AsNoTracking().Where(o => orgIds.Contains(o.Id)).OrderBy(o => o.Name).ToListAsync(ct);
        return TypedResults.Ok(orgs.Select(o => new ImsOrgDto(
            new ImsOrgRef(o.Code[..o.Code.IndexOf('@')], o.Code[(o.Code.IndexOf('@') + 1)..]), o.Name, o.Code,
            o.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "Enterprise")).ToList());
    }

    internal static string? BearerOf(HttpContext ctx)
    {
        var h = ctx.Request.Headers.Authorization.ToString();
        return h.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? h[7..].Trim() : null;
    }

    /// <summary>The claims of a token the validator accepted, as the JSON object it carries.</summary>
    private static JsonElement PayloadOf(string token)
    {
        var jwt = new JsonWebToken(token);
        using var doc = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jwt.EncodedPayload));
        return doc.RootElement.Clone();
    }
}

public sealed record JsonWebKeyDto(string kty, string use, string alg, string kid, string crv, string x, string y);
public sealed record JsonWebKeySetDto(IReadOnlyList<JsonWebKeyDto> keys);

public sealed record ValidateResult(
    [property: System.Text.Json.Serialization.JsonPropertyName("valid")] bool Valid,
    [property: System.Text.Json.Serialization.JsonPropertyName("reason"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Reason,
    [property: System.Text.Json.Serialization.JsonPropertyName("token"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] JsonElement? Token,
    [property: System.Text.Json.Serialization.JsonPropertyName("expires_at"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? ExpiresAt);

public sealed record ImsOrgRef(string ident, string authSrc);
public sealed record ImsOrgDto(ImsOrgRef orgRef, string orgName, string orgCode, string orgId, string orgType);
