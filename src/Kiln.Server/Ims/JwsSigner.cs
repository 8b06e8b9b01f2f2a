using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.Server.Ims;

/// <summary>
/// Writes compact JWS tokens for one signing key (docs/identity.md#access-tokens). The header is the one
/// <c>JsonWebTokenHandler</c> writes (<c>alg</c>, <c>kid</c>, <c>typ</c>), encoded once per key; each token encodes its
/// payload into a pooled buffer and the library's <see cref="SignatureProvider"/> signs it. No cryptography is done here,
/// and validation stays with <c>JsonWebTokenHandler</c> (<see cref="TokenValidator"/>).
/// </summary>
internal sealed class JwsSigner
{
    private const int MaxSignatureBytes = 132; // ES512 in IEEE P1363 form; ES256 is 64
    private readonly byte[] _headerDot;
    private readonly SignatureProvider _provider;

    public JwsSigner(SigningCredentials credentials)
    {
        Credentials = credentials;
        var header = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            w.WriteString("alg", credentials.Algorithm);
            w.WriteString("kid", credentials.Key.KeyId);
            w.WriteString("typ", "JWT");
            w.WriteEndObject();
        }
        _headerDot = Encoding.ASCII.GetBytes(Base64Url.EncodeToString(header.WrittenSpan) + ".");
        // Owned by this signer (not the factory's cache): it lives as long as the key signs.
        var factory = credentials.CryptoProviderFactory ?? credentials.Key.CryptoProviderFactory ?? CryptoProviderFactory.Default;
        _provider = factory.CreateForSigning(credentials.Key, credentials.Algorithm, cacheProvider: false);
    }

    public SigningCredentials Credentials { get; }

    /// <summary><c>base64url(header).base64url(payload).base64url(signature)</c> for a UTF-8 JSON payload.</summary>
    public string Sign(ReadOnlySpan<byte> payloadJson)
    {
        var payloadChars = Base64Url.GetEncodedLength(payloadJson.Length);
        var signedLength = _headerDot.Length + payloadChars;
        var buffer = ArrayPool<byte>.Shared.Rent(signedLength + 1 + Base64Url.GetEncodedLength(MaxSignatureBytes));
        try
        {
            _headerDot.CopyTo(buffer, 0);
            Base64Url.EncodeToUtf8(payloadJson, buffer.AsSpan(_headerDot.Length, payloadChars));
            Span<byte> signature = stackalloc byte[MaxSignatureBytes];
            if (!_provider.Sign(buffer.AsSpan(0, signedLength), signature, out var signatureLength))
                throw new CryptographicException("The signature provider did not sign the token.");
            buffer[signedLength] = (byte)'.';
            var signatureChars = Base64Url.EncodeToUtf8(signature[..signatureLength], buffer.AsSpan(signedLength + 1));
            return Encoding.ASCII.GetString(buffer, 0, signedLength + 1 + signatureChars);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
