using System.Security.Cryptography;
using System.Text;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Storage;

/// <summary>
/// Signs and checks Kiln's own download URLs: <c>/files/{key}?expires=&lt;unix s&gt;&amp;sig=&lt;base64url HMAC-SHA256&gt;</c>
/// over <c>"GET\n/files/{key}\n{expires}"</c> (docs/firefly.md#pre-signed-urls). The key comes from config or is generated once
/// and kept in ServerSettings, wrapped under the KEK (docs/security.md#keys-at-rest), so every node and every restart agree.
/// </summary>
public sealed class UrlSigner(IOptions<StorageOptions> options, TimeProvider clock, KeyEncryption kek, ILogger<UrlSigner> log) : IStartupTask
{
    internal const string SettingKey = "storage.url_signing_key";
    private byte[]? _key;

    public async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        if (options.Value.SigningKey is { Length: > 0 } configured)
        {
            _key = Convert.FromBase64String(configured);
            return;
        }
        _key = await KeysAtRest.SecretSettingAsync(services.GetRequiredService<KilnDb>(), kek, SettingKey, log, ct);
    }

    private byte[] Key => _key ?? throw new InvalidOperationException("UrlSigner used before start-up.");

    /// <summary>The path and query of a signed URL for <paramref name="key"/>.</summary>
    public string Sign(string key, TimeSpan lifetime)
    {
        var expires = clock.GetUtcNow().Add(lifetime).ToUnixTimeSeconds();
        var path = "/files/" + key;
        return $"{path}?expires={expires}&sig={Signature(path, expires)}";
    }

    /// <summary>True when the signature matches and the URL has not expired. Fixed-time comparison.</summary>
    public bool Verify(string key, string? expires, string? sig)
    {
        if (!BlobKeys.IsValid(key) || sig is null || !long.TryParse(expires, System.Globalization.NumberStyles.None, null, out var exp)) return false;
        var expected = Encoding.ASCII.GetBytes(Signature("/files/" + key, exp));
        var given = Encoding.ASCII.GetBytes(sig);
        if (!CryptographicOperations.FixedTimeEquals(expected, given)) return false;
        return clock.GetUtcNow().ToUnixTimeSeconds() < exp;
    }

    private string Signature(string path, long expires)
    {
        var mac = HMACSHA256.HashData(Key, Encoding.UTF8.GetBytes($"GET\n{path}\n{expires}"));
        return System.Buffers.Text.Base64Url.EncodeToString(mac);
    }
}
