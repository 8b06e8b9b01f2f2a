using System.Text.Json.Serialization;
using Kiln.Server.Core;
using Kiln.Server.Users;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Ims;

public sealed record DeviceCodeResponse(
    [property: JsonPropertyName("device_code")] string DeviceCode,
    [property: JsonPropertyName("user_code")] string UserCode,
    [property: JsonPropertyName("verification_uri")] string VerificationUri,
    [property: JsonPropertyName("verification_uri_complete")] string VerificationUriComplete,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("interval")] int Interval);

/// <summary><c>POST /ims/device/code</c> (RFC 8628 §3.1-3.2): the CLI's first step of signing in.</summary>
public static class DeviceApi
{
    public const string VerificationPath = "/console/device";

    public static RouteHandlerBuilder MapDeviceCode(this IEndpointRouteBuilder app) =>
        app.MapPost("/device/code", StartAsync).DisableAntiforgery()
           .WithSummary("Start a device authorization (CLI sign-in)").Produces<DeviceCodeResponse>().Produces<OAuthError>(400)
           .Produces<OAuthError>(429);

    private static async Task<IResult> StartAsync(HttpContext ctx, KilnDb db, TimeProvider clock, IOptions<AccountOptions> options,
        PublicUrl urls, DeviceGuard guard, CancellationToken ct)
    {
        // Every request from the address counts, before anything else is done (docs/console.md#limits-of-the-device-flow).
        var claim = guard.BeginStart(ctx.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        if (claim.RetryAfter is { } wait)
            return OAuthErrors.TooMany(ctx, wait, "too many device authorizations from this address; retry later");
        try
        {
            var answer = await StartCheckedAsync(ctx, db, clock, options.Value, urls, ct);
            guard.Started(claim);
            return answer;
        }
        catch
        {
            guard.ReleaseStart(claim); // an outage, not the caller's request: hand the claim back
            throw;
        }
    }

    private static async Task<IResult> StartCheckedAsync(HttpContext ctx, KilnDb db, TimeProvider clock, AccountOptions options,
        PublicUrl urls, CancellationToken ct)
    {
        var (req, error) = await TokenRequest.ReadAsync(ctx.Request, ct);
        if (req is null) return OAuthErrors.Error(ctx, "invalid_request", error!);
        var clientId = req["client_id"];
        if (clientId is null) return OAuthErrors.Error(ctx, "invalid_request", "missing client_id parameter");
        if (clientId != DeviceFlow.CliClientId) return OAuthErrors.Error(ctx, "invalid_client", "invalid client_id parameter");
        var scopes = Services.ParseScopes(req["scope"]);
        var unknown = scopes.Where(s => !DeviceFlow.UserScopes.Contains(s, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0) return OAuthErrors.Error(ctx, "invalid_scope", $"invalid scope parameter: {string.Join(',', unknown.Take(5))} not available to user tokens");
        var (row, deviceCode, retryAfter) = await DeviceFlow.StartAsync(db, clock, options, clientId, scopes.Count > 0 ? scopes : DeviceFlow.UserScopes, ct);
        if (row is null || deviceCode is null)
            return OAuthErrors.TooMany(ctx, retryAfter, "too many device authorizations are waiting; retry later");
        var uri = urls.For(VerificationPath);
        var shown = DeviceFlow.Format(row.UserCode);
        OAuthErrors.NoStore(ctx);
        return TypedResults.Ok(new DeviceCodeResponse(deviceCode, shown, uri, $"{uri}?user_code={shown}",
            (int)(row.ExpiresAt - row.CreatedAt).TotalSeconds, row.IntervalSeconds));
    }
}

/// <summary>
/// The token endpoint's device-code grant (RFC 8628 §3.4-3.5): pending, slow_down, access_denied, expired_token,
/// or, once approved, a user access token (docs/identity.md#access-tokens) for <c>kiln-cli</c> in the approved org. A code is good for one token.
/// </summary>
public sealed class DeviceGrant(IServiceScopeFactory scopes, TokenIssuer issuer, UserCache users, TimeProvider clock)
{

    public async Task<IResult> HandleAsync(HttpContext ctx, TokenRequest request, CancellationToken ct)
    {
        var clientId = request["client_id"];
        if (clientId is null) return OAuthErrors.Error(ctx, "invalid_request", "missing client_id parameter");
        if (clientId != DeviceFlow.CliClientId) return OAuthErrors.Error(ctx, "invalid_client", "invalid client_id parameter");
        var code = request["device_code"];
        if (code is null) return OAuthErrors.Error(ctx, "invalid_request", "missing device_code parameter");
        if (code.Length > 200) return OAuthErrors.Error(ctx, "invalid_grant", "invalid device_code parameter");

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var hash = DeviceFlow.Hash(code);
        var row = await db.DeviceAuthorizations.FirstOrDefaultAsync(d => d.DeviceCodeHash == hash, ct);
        if (row is null || row.ClientId != clientId) return OAuthErrors.Error(ctx, "invalid_grant", "invalid device_code parameter");
        var now = clock.GetUtcNow();
        if (row.ExpiresAt <= now && row.Status is DeviceFlow.Pending or DeviceFlow.Approved)
            return OAuthErrors.Error(ctx, "expired_token", "the device code has expired; start again");
        switch (row.Status)
        {
            case DeviceFlow.Denied: return OAuthErrors.Error(ctx, "access_denied", "the user denied the request");
            case DeviceFlow.Consumed: return OAuthErrors.Error(ctx, "invalid_grant", "the device code was already used");
            case DeviceFlow.Pending: return await PendingAsync(ctx, db, row, now, ct);
        }

        // Approved: claim it once (two racing polls cannot both get a token).
        var claimed = await db.DeviceAuthorizations.Where(d => d.DeviceCodeHash == hash && d.Status == DeviceFlow.Approved)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeviceFlow.Consumed), ct);
        if (claimed == 0) return OAuthErrors.Error(ctx, "invalid_grant", "the device code was already used");
        var userId = row.UserId!.Value;
        var org = await db.Orgs.AsNoTracking().FirstOrDefaultAsync(o => o.Id == row.OrgId, ct);
        if (org is null || !await users.IsActiveAsync(userId, ct) || await UserAccounts.RoleAsync(db, userId, org.Id, ct) is null)
            return OAuthErrors.Error(ctx, "access_denied", "the approving user can no longer sign in to this org");

        var token = issuer.Issue(new TokenSubject(DeviceFlow.CliClientId, UserIds.Format(userId), org.Code, null, null,
            Services.ParseScopes(row.Scope)));
        Actor.ForUser(userId, Audit.SourceOf(ctx)).Audit(db, clock, AuditScope.Org(org.Id), "user.token", $"user:{userId}", "device flow");
        await db.SaveChangesAsync(ct);
        OAuthErrors.NoStore(ctx);
        return TypedResults.Ok(new TokenResponse(token.AccessToken, "bearer", token.ExpiresInSeconds));
    }

    private static async Task<IResult> PendingAsync(HttpContext ctx, KilnDb db, DeviceAuthorization row, DateTimeOffset now, CancellationToken ct)
    {
        // RFC 8628 §3.5: polling faster than the interval earns slow_down and a 5 s longer interval.
        var tooSoon = row.LastPolledAt is { } last && now - last < TimeSpan.FromSeconds(row.IntervalSeconds);
        row.LastPolledAt = now;
        if (tooSoon) row.IntervalSeconds += 5;
        await db.SaveChangesAsync(ct);
        return tooSoon
            ? OAuthErrors.Error(ctx, "slow_down", $"polling too fast; wait {row.IntervalSeconds} seconds between requests")
            : OAuthErrors.Error(ctx, "authorization_pending", "the user has not approved the request yet");
    }
}
