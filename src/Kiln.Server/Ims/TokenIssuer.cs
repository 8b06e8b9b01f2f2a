using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Ims;

/// <summary>The claims of one access token, before signing.</summary>
public sealed record TokenSubject(
    string ClientId, string UserId, string OrgCode, long? CredentialId, string? SecretId, IReadOnlyList<string> Scopes);

public sealed record IssuedToken(string AccessToken, string Jti, int ExpiresInSeconds, DateTimeOffset ExpiresAt);

/// <summary>
/// Mints IMS-shaped JWT access tokens (docs/identity.md#access-tokens). The payload is written in one pass into a
/// per-thread buffer and signed through <see cref="JwsSigner"/> (the library's signature provider for the current key).
/// </summary>
public sealed class TokenIssuer(KeyRing keys, TimeProvider clock, IOptions<ImsOptions> options, ImsIssuer issuer)
{
    [ThreadStatic] private static PayloadBuffer? t_payload;
    private volatile JwsSigner? _signer;

    public IssuedToken Issue(TokenSubject subject)
    {
        var credentials = keys.Signing;
        var signer = _signer;
        if (signer is null || !ReferenceEquals(signer.Credentials, credentials)) _signer = signer = new JwsSigner(credentials); // a rotation
        return Issue(signer, subject, issuer.Value, clock.GetUtcNow(), options.Value.TokenLifetime);
    }

    /// <summary>The whole mint for one subject (also used by the benchmarks).</summary>
    internal static IssuedToken Issue(JwsSigner signer, TokenSubject subject, string issuer, DateTimeOffset now, TimeSpan lifetime)
    {
        // Whole seconds, as IMS does: created_at + expires_in then lines up exactly with exp.
        var seconds = now.ToUnixTimeSeconds();
        var expires = DateTimeOffset.FromUnixTimeSeconds(seconds) + lifetime;
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        var jti = Convert.ToHexStringLower(random);
        var payload = t_payload ??= new PayloadBuffer();
        var w = payload.Start();
        w.WriteStartObject();
        w.WriteString("iss", issuer);
        // aud is the client id, the value a resource server already knows as its x-api-key (docs/identity.md#audience).
        w.WriteString("aud", subject.ClientId);
        w.WriteNumber("iat", seconds);
        w.WriteNumber("nbf", seconds);
        w.WriteNumber("exp", expires.ToUnixTimeSeconds());
        w.WriteString("jti", jti);
        w.WriteString("type", "access_token");
        w.WriteString("client_id", subject.ClientId);
        w.WriteString("user_id", subject.UserId);
        w.WriteString("as", "ims-na1");
        Span<char> digits = stackalloc char[20];
        w.WriteString("created_at", Digits(seconds * 1000, digits));
        w.WriteString("expires_in", Digits((long)lifetime.TotalMilliseconds, digits));
        w.WritePropertyName("scope");
        WriteJoined(w, subject.Scopes, payload);
        w.WriteString("org", subject.OrgCode);
        if (subject.CredentialId is { } cred) w.WriteString("cred", Digits(cred, digits));
        if (subject.SecretId is { } sid) w.WriteString("sid", sid);
        w.WriteEndObject();
        w.Flush();
        var token = signer.Sign(payload.Written);
        // expires_in is one second short of the lifetime, as Adobe answers 86399 for 24 h.
        return new IssuedToken(token, jti, (int)lifetime.TotalSeconds - 1, expires);
    }

    private static ReadOnlySpan<char> Digits(long value, Span<char> into) =>
        value.TryFormat(into, out var n, default, CultureInfo.InvariantCulture) ? into[..n] : throw new InvalidOperationException("unreachable");

    /// <summary>The scopes comma-joined, as one JSON string, without building the joined string.</summary>
    private static void WriteJoined(Utf8JsonWriter w, IReadOnlyList<string> scopes, PayloadBuffer payload)
    {
        var chars = payload.Chars;
        var length = 0;
        for (var i = 0; i < scopes.Count; i++) length += scopes[i].Length + (i > 0 ? 1 : 0);
        if (length > chars.Length) { w.WriteStringValue(string.Join(',', scopes)); return; }
        var at = 0;
        for (var i = 0; i < scopes.Count; i++)
        {
            if (i > 0) chars[at++] = ',';
            scopes[i].CopyTo(chars.AsSpan(at));
            at += scopes[i].Length;
        }
        w.WriteStringValue(chars.AsSpan(0, at));
    }

    /// <summary>One thread's reusable payload buffer and writer.</summary>
    private sealed class PayloadBuffer
    {
        private readonly ArrayBufferWriter<byte> _bytes = new(1024);
        private readonly Utf8JsonWriter _writer;

        public PayloadBuffer() => _writer = new Utf8JsonWriter(_bytes);

        public char[] Chars { get; } = new char[1024];

        public ReadOnlySpan<byte> Written => _bytes.WrittenSpan;

        public Utf8JsonWriter Start()
        {
            _bytes.ResetWrittenCount();
            _writer.Reset(_bytes);
            return _writer;
        }
    }
}
