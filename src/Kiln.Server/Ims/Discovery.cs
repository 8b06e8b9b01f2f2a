using System.Text.Json.Serialization;
using Kiln.Server.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Server.Ims;

/// <summary>
/// <c>GET /ims/.well-known/openid-configuration</c>, in the shape Adobe publishes at that path, with Kiln's values
/// (docs/identity.md#oidc-discovery).
/// </summary>
public static class Discovery
{
    public static void MapDiscovery(this RouteGroupBuilder ims) =>
        ims.MapGet("/.well-known/openid-configuration", Document)
           .WithSummary("OpenID Connect discovery: issuer, token endpoint and keys, for resource servers");

    private static Ok<DiscoveryDocument> Document(ImsIssuer issuer, PublicUrl urls, HttpContext ctx)
    {
        ctx.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Ok(new DiscoveryDocument(
            issuer.Value,
            urls.For("/ims/token/v3"),
            urls.For("/ims/invalidate_token/v2"),
            urls.For("/ims/keys"),
            urls.For("/ims/device/code"),
            [],
            ["public"],
            [KeyRing.Algorithm],
            Services.All.SelectMany(s => s.Scopes).Distinct(StringComparer.Ordinal).ToList(),
            ["client_secret_basic", "client_secret_post"],
            ["iss", "aud", "exp", "iat", "nbf", "jti", "type", "client_id", "user_id", "as", "created_at", "expires_in", "scope", "org", "cred", "sid"],
            [TokenEndpoint.ClientCredentials, DeviceFlow.GrantType]));
    }
}

/// <summary>Adobe's field names (developer.adobe.com's IMS API reference); the values are Kiln's.</summary>
public sealed record DiscoveryDocument(
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("token_endpoint")] string TokenEndpoint,
    [property: JsonPropertyName("revocation_endpoint")] string RevocationEndpoint,
    [property: JsonPropertyName("jwks_uri")] string JwksUri,
    [property: JsonPropertyName("device_authorization_endpoint")] string DeviceAuthorizationEndpoint,
    [property: JsonPropertyName("response_types_supported")] IReadOnlyList<string> ResponseTypesSupported,
    [property: JsonPropertyName("subject_types_supported")] IReadOnlyList<string> SubjectTypesSupported,
    [property: JsonPropertyName("id_token_signing_alg_values_supported")] IReadOnlyList<string> IdTokenSigningAlgValuesSupported,
    [property: JsonPropertyName("scopes_supported")] IReadOnlyList<string> ScopesSupported,
    [property: JsonPropertyName("token_endpoint_auth_methods_supported")] IReadOnlyList<string> TokenEndpointAuthMethodsSupported,
    [property: JsonPropertyName("claims_supported")] IReadOnlyList<string> ClaimsSupported,
    [property: JsonPropertyName("grant_types_supported")] IReadOnlyList<string> GrantTypesSupported);
