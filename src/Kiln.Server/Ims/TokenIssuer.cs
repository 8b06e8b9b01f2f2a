using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Kiln.Server.Ims;

/// <summary>The claims of one access token, before signing.</summary>
public sealed record TokenSubject(
    string ClientId, string UserId, string OrgCode, long? CredentialId, string? SecretId, IReadOnlyList<string> Scopes);

public sealed record IssuedToken(string AccessToken, string Jti, int ExpiresInSeconds, DateTimeOffset ExpiresAt);

/// <summary>Mints IMS-shaped JWT access tokens (docs/identity.md#access-tokens).</summary>
public sealed class TokenIssuer(KeyRing keys, TimeProvider clock, IOptions<ImsOptions> options, ImsIssuer issuer)
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
        // The payload is written directly (one pass, no claim dictionary); the library signs it.
        var buffer = new ArrayBufferWriter<byte>(768);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("iss", issuer.Value);
            // aud is the client id, the value a resource server already knows as its x-api-key (docs/identity.md#audience).
            w.WriteString("aud", subject.ClientId);
            w.WriteNumber("iat", now.ToUnixTimeSeconds());
            w.WriteNumber("nbf", now.ToUnixTimeSeconds());
            w.WriteNumber("exp", expires.ToUnixTimeSeconds());
            w.WriteString("jti", jti);
            w.WriteString("type", "access_token");
            w.WriteString("client_id", subject.ClientId);
            w.WriteString("user_id", subject.UserId);
            w.WriteString("as", "ims-na1");
            w.WriteString("created_at", now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            w.WriteString("expires_in", ((long)lifetime.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
            w.WriteString("scope", string.Join(',', subject.Scopes));
            w.WriteString("org", subject.OrgCode);
            if (subject.CredentialId is { } cred) w.WriteString("cred", cred.ToString(CultureInfo.InvariantCulture));
            if (subject.SecretId is { } sid) w.WriteString("sid", sid);
            w.WriteEndObject();
        }
        var token = Handler.CreateToken(Encoding.UTF8.GetString(buffer.WrittenSpan), keys.Signing);
        // expires_in is one second short of the lifetime, as Adobe answers 86399 for 24 h.
        return new IssuedToken(token, jti, (int)lifetime.TotalSeconds - 1, expires);
    }
}
