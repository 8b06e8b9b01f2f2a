using System.Text.Json.Serialization;
using Kiln.Server.Core;

namespace Kiln.Server.Ims;

public sealed record TokenResponse(
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("token_type")] string TokenType,
    [property: JsonPropertyName("expires_in")] int ExpiresIn);

/// <summary>
/// <c>POST /ims/token/v2|v3|v4</c>: OAuth 2.0 client credentials, answered the way Adobe IMS does (docs/identity.md#token-response, docs/identity.md#token-errors, docs/identity.md#token-endpoint).
/// Each check is a small step that rejects early with a catalogued error.
/// </summary>
public static class TokenEndpoint
{
    public const string ClientCredentials = "client_credentials";

    public static void MapTokenEndpoint(this RouteGroupBuilder ims)
    {
        foreach (var version in new[] { "v2", "v3", "v4" })
            ims.MapPost($"/token/{version}", (HttpContext ctx, TokenService svc, CancellationToken ct) => svc.HandleAsync(ctx, version, ct))
               .WithName($"Token{version.ToUpperInvariant()}")
               .WithSummary($"Mint an access token (client_credentials), IMS {version}")
               .DisableAntiforgery()
               .Produces<TokenResponse>()
               .Produces<OAuthError>(400)
               .Produces<OAuthError>(429);
    }

}

/// <summary>The token endpoint's steps. The device flow's grant is <see cref="DeviceGrant"/>.</summary>
public sealed class TokenService(
    CredentialCache credentials, ClientSecrets secrets, TokenIssuer issuer, BruteForceGuard guard, UsageTracker usage,
    TimeProvider clock, DeviceGrant deviceGrant, KilnMetrics metrics, ILogger<TokenService> log)
{
    public async Task<IResult> HandleAsync(HttpContext ctx, string version, CancellationToken ct)
    {
        // The span "kiln.ims.token" (docs/operations.md#traces): client and org ids once known, the refusal reason, no secret.
        using var span = KilnTelemetry.Start("kiln.ims.token");
        span?.SetTag(KilnTelemetry.Operation, "token");
        var (req, readError) = await TokenRequest.ReadAsync(ctx.Request, ct);
        if (req is null) return Refused(span, "unknown", "invalid_request", OAuthErrors.Error(ctx, "invalid_request", readError!));
        var grant = req["grant_type"];
        if (grant is null) return Refused(span, "unknown", "invalid_request", OAuthErrors.Error(ctx, "invalid_request", "missing grant_type parameter"));
        return grant switch
        {
            TokenEndpoint.ClientCredentials => await ClientCredentialsAsync(ctx, version, req, span, ct),
            DeviceFlow.GrantType => await deviceGrant.HandleAsync(ctx, req, ct),
            _ => Refused(span, "other", "unsupported_grant_type", OAuthErrors.Error(ctx, "unsupported_grant_type", $"grant_type '{Truncate(grant)}' is not supported")),
        };
    }

    /// <summary>Counts a refusal by its reason (the OAuth error, or <c>brute_force</c> for a 429) and marks the span.</summary>
    private IResult Refused(System.Diagnostics.Activity? span, string grant, string reason, IResult result)
    {
        metrics.TokenRefused(grant, reason);
        span.Fail(reason);
        return result;
    }

    private async Task<IResult> ClientCredentialsAsync(HttpContext ctx, string version, TokenRequest req, System.Diagnostics.Activity? span, CancellationToken ct)
    {
        const string Grant = TokenEndpoint.ClientCredentials;
        var clientId = req["client_id"];
        if (clientId is null) return Refused(span, Grant, "invalid_request", OAuthErrors.Error(ctx, "invalid_request", "missing client_id parameter"));
        var address = ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var counted = clientId.Length <= 64 ? clientId : null;
        if (counted is not null) span?.SetTag(KilnTelemetry.ClientId, counted);
        // Claimed before the lookup and the secret check, so concurrent attempts cannot overrun the limits.
        var attempt = guard.Begin(counted, address);
        if (attempt.RetryAfter is { } wait) return Refused(span, Grant, "brute_force", OAuthErrors.TooMany(ctx, wait));

        CredentialSnapshot? cred;
        try { cred = counted is not null ? await credentials.GetAsync(clientId, ct) : null; }
        catch
        {
            guard.Release(attempt); // the database failed, not the caller
            throw;
        }
        if (cred is null || !cred.Enabled)
        {
            guard.Failed(attempt, counted, address);
            return Refused(span, Grant, "unknown_client", OAuthErrors.Error(ctx, "invalid_client", "invalid client_id parameter"));
        }
        var secret = req["client_secret"];
        if (secret is null)
        {
            guard.Release(attempt);
            return Refused(span, Grant, "invalid_request", OAuthErrors.Error(ctx, "invalid_request", "missing client_secret parameter"));
        }
        span?.SetTag(KilnTelemetry.OrgId, cred.OrgId);
        var matched = secrets.Match(cred, secret);
        if (matched is null)
        {
            guard.Failed(attempt, clientId, address);
            log.LogInformation("Rejected client_secret for client {ClientId} from {Address}", clientId, address);
            return Refused(span, Grant, "invalid_secret", OAuthErrors.Error(ctx, "invalid_client", "invalid client_secret parameter"));
        }
        guard.Release(attempt);
        if (version == "v2" && req["org_id"] is { } orgId && !string.Equals(orgId, cred.OrgCode, StringComparison.OrdinalIgnoreCase))
            return Refused(span, Grant, "invalid_org", OAuthErrors.Error(ctx, "invalid_request", "invalid org_id parameter"));

        var requested = Services.ParseScopes(req["scope"]);
        var notGranted = requested.Where(s => !cred.GrantedScopes.Contains(s, StringComparer.Ordinal)).ToList();
        if (notGranted.Count > 0)
            return Refused(span, Grant, "invalid_scope", OAuthErrors.Error(ctx, "invalid_scope", $"invalid scope parameter: {Truncate(string.Join(',', notGranted))} not granted to this client"));
        var scopes = requested.Count > 0 ? requested : cred.GrantedScopes;

        var token = issuer.Issue(new TokenSubject(cred.ClientId, cred.TechnicalAccountId, cred.OrgCode, cred.Id, matched.Uuid, scopes));
        usage.Record(matched.Uuid, clock.GetUtcNow(), TokenEndpoint.ClientCredentials);
        metrics.TokenIssued(Grant);
        span?.SetTag(KilnTelemetry.Outcome, "issued");
        OAuthErrors.NoStore(ctx);
        return TokenResponseResult.For(token);
    }

    private static string Truncate(string s) => s.Length <= 100 ? s : s[..100] + "…";
}
