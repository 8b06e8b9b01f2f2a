using System.Security.Cryptography;
using System.Text;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Ims;

/// <summary>
/// How client secrets look and are hashed (the rules about them live in <see cref="ClientSecrets"/>). Secrets are
/// 256 random bits, so a fast keyed hash (HMAC-SHA256 under a server pepper) is as strong as a slow password hash and
/// costs microseconds. Nothing here logs a secret.
/// </summary>
public sealed class SecretHasher
{
    public const string Prefix = "kiln_s2s_";
    private const string PepperKey = "secret-pepper";
    private byte[]? _pepper;

    public static string NewSecret() => Prefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static string HintOf(string secret) => secret[..Math.Min(secret.Length, Prefix.Length + 4)] + "…";

    public byte[] Hash(string secret)
    {
        var pepper = _pepper ?? throw new InvalidOperationException("SecretHasher used before InitializeAsync.");
        return HMACSHA256.HashData(pepper, Encoding.UTF8.GetBytes(secret));
    }

    /// <summary>Loads the pepper from configuration, or from the database (created once, wrapped under the KEK: docs/security.md#keys-at-rest).</summary>
    public async Task InitializeAsync(KilnDb db, IOptions<ImsOptions> options, KeyEncryption kek, ILogger log, CancellationToken ct)
    {
        if (options.Value.SecretPepper is { Length: > 0 } configured)
        {
            _pepper = Convert.FromBase64String(configured);
            return;
        }
        _pepper = await KeysAtRest.SecretSettingAsync(db, kek, PepperKey, log, ct);
    }
}
