using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Kiln.Server.Core;
using Kiln.Server.Users;

namespace Kiln.Server.Ims;

/// <summary>
/// Validates access tokens for the gate and for validate_token. Signature checks are cached per token
/// string; the revocation checks (jti, secret, credential, user) run on every call against in-memory
/// state that deletes invalidate, so revocation always beats the cache.
/// </summary>
public sealed class TokenValidator(
    KeyRing keys, CredentialCache credentials, RevocationList revocations, TimeProvider clock,
    ImsIssuer issuer, UserCache users)
{
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };
    private readonly ConcurrentDictionary<string, ImsCaller> _verified = new(StringComparer.Ordinal);
    private const int MaxTokenLength = 8192;

    public async ValueTask<(ImsCaller? Caller, string? Reason)> ValidateAsync(string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength) return (null, "token missing or too long");
        if (!_verified.TryGetValue(token, out var caller))
        {
            var (parsed, reason) = await VerifySignatureAsync(token, ct);
            if (parsed is null) return (null, reason);
            caller = parsed;
            if (_verified.Count > 100_000) _verified.Clear();
            _verified[token] = caller;
        }
        var now = clock.GetUtcNow();
        if (caller.ExpiresAt <= now)
        {
            _verified.TryRemove(token, out _);
            return (null, "token expired");
        }
        if (revocations.IsRevoked(caller.Jti)) return (null, "token invalidated");
        if (!caller.IsCredential)
        {
            // A user token works only while its user exists and is enabled, and was minted after the last password reset.
            var active = UserIds.TryGetUser(caller, out var userId) && await users.IsActiveAsync(userId, caller.CreatedAt, ct);
            return active ? (caller, null) : (null, "user no longer active");
        }
        var cred = await credentials.GetAsync(caller.ClientId, ct);
        var live = CheckLive(caller, cred, now);
        return live is null ? (Current(caller, cred!), null) : (null, live);
    }

    private static string? CheckLive(ImsCaller caller, CredentialSnapshot? cred, DateTimeOffset now)
    {
        if (cred is null || cred.Id != caller.CredentialId) return "credential deleted";
        if (!cred.Enabled) return "credential disabled";
        foreach (var secret in cred.Secrets)
            if (secret.Uuid == caller.SecretId)
                return secret.ExpiresAt is { } exp && exp <= now ? "client secret expired" : null;
        return "client secret deleted";
    }

    /// <summary>
    /// A credential token carries only the scopes its credential's APIs grant now (docs/identity.md#revocation): removing
    /// an API takes its scopes out of tokens already issued as soon as the credential cache hears of the change (at once
    /// on every node, through the <see cref="ClusterNotifier"/>).
    /// </summary>
    private static ImsCaller Current(ImsCaller caller, CredentialSnapshot cred)
    {
        if (caller.Scopes.All(cred.GrantedScopes.Contains)) return caller;
        return caller with { Scopes = caller.Scopes.Where(cred.GrantedScopes.Contains).ToHashSet(StringComparer.Ordinal) };
    }

    private async Task<(ImsCaller?, string?)> VerifySignatureAsync(string token, CancellationToken ct)
    {
        var result = await Handler.ValidateTokenAsync(token, Parameters());
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException
            && await keys.TryRefreshForUnknownKidAsync(ct))
            result = await Handler.ValidateTokenAsync(token, Parameters());
        if (!result.IsValid) return (null, "invalid token: " + (result.Exception?.GetType().Name ?? "unknown"));
        var c = result.Claims;
        string? S(string k) => c.TryGetValue(k, out var v) ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;
        if (S("type") != "access_token") return (null, "not an access token");
        var jti = S("jti");
        var clientId = S("client_id");
        var exp = result.SecurityToken.ValidTo;
        if (jti is null || clientId is null) return (null, "missing claims");
        long? credId = long.TryParse(S("cred"), NumberStyles.None, CultureInfo.InvariantCulture, out var cid) ? cid : null;
        var created = long.TryParse(S("created_at"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.MinValue;
        long orgId = 0;
        if (credId is not null)
        {
            var cred = await credentials.GetAsync(clientId, ct);
            if (cred is null) return (null, "credential deleted");
            orgId = cred.OrgId;
        }
        var scopes = Services.ParseScopes(S("scope")).ToHashSet(StringComparer.Ordinal);
        return (new ImsCaller(jti, clientId, credId, S("sid"), orgId, S("org") ?? "", S("user_id") ?? "", scopes, created,
            new DateTimeOffset(exp, TimeSpan.Zero)), null);
    }

    private TokenValidationParameters Parameters() => new()
    {
        ValidIssuers = issuer.Accepted,
        ValidateAudience = false,
        ValidAlgorithms = [KeyRing.Algorithm],
        IssuerSigningKeys = keys.VerifyingKeys,
        TryAllIssuerSigningKeys = false,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        LifetimeValidator = (nbf, exp, _, _) =>
        {
            var now = clock.GetUtcNow().UtcDateTime;
            var skew = TimeSpan.FromSeconds(30);
            return exp is { } e && now < e && (nbf is not { } n || now >= n - skew);
        },
    };
}
