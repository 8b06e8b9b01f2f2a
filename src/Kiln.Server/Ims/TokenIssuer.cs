using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.Server.Ims;

/// <summary>The claims of one access token, before signing.</summary>
public sealed record TokenSubject(
    string ClientId, string UserId, string OrgCode, long? CredentialId, string? SecretId, IReadOnlyList<string> Scopes);

public sealed record IssuedToken(string AccessToken, string Jti, int ExpiresInSeconds, DateTimeOffset ExpiresAt);

/// <summary>Mints IMS-shaped JWT access tokens (§1.6 and §6 item 4).</summary>
public sealed class TokenIssuer(KeyRing keys, TimeProvider clock, IOptions<ImsOptions> options)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };

    public IssuedToken Issue(TokenSubject subject)
    {
        var lifetime = options.Value.TokenLifetime;
        var now = clock.GetUtcNow();
        // Whole seconds, as IMS does: created_at + expires_in then lines up exactly with exp.
        now = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var expires = now + lifetime;
        var jti = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var claims = new Dictionary<string, object>
        {
            ["type"] = "access_token",
            ["client_id"] = subject.ClientId,
            ["user_id"] = subject.UserId,
            ["as"] = "ims-na1",
            ["created_at"] = now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            ["expires_in"] = ((long)lifetime.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            ["scope"] = string.Join(',', subject.Scopes),
            ["org"] = subject.OrgCode,
            ["jti"] = jti,
        };
        if (subject.CredentialId is { } cred) claims["cred"] = cred.ToString(CultureInfo.InvariantCulture);
        if (subject.SecretId is { } sid) claims["sid"] = sid;

        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.Issuer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = claims,
            SigningCredentials = keys.Signing,
        });
        // expires_in is one second short of the lifetime, as Adobe answers 86399 for 24 h.
        return new IssuedToken(token, jti, (int)lifetime.TotalSeconds - 1, expires);
    }
}
