using Microsoft.Extensions.Options;

namespace Kiln.Server.Storage;

/// <summary>Blob storage and pre-signed URL settings, section "Kiln:Storage".</summary>
public sealed class StorageOptions
{
    public const string Section = "Kiln:Storage";

    /// <summary>How long a download URL is valid (docs/firefly.md#pre-signed-urls: 1 hour).</summary>
    public TimeSpan UrlLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Optional base64 HMAC key (≥ 32 bytes) for /files URLs; when empty one is generated and kept in ServerSettings.</summary>
    public string? SigningKey { get; set; }

    internal sealed class Validator : IValidateOptions<StorageOptions>
    {
        public ValidateOptionsResult Validate(string? name, StorageOptions o)
        {
            if (o.UrlLifetime <= TimeSpan.Zero || o.UrlLifetime > TimeSpan.FromDays(7))
                return ValidateOptionsResult.Fail("Kiln:Storage:UrlLifetime must be between 0 and 7 days.");
            if (o.SigningKey is { Length: > 0 } k && (!TryKey(k, out var n) || n < 32))
                return ValidateOptionsResult.Fail("Kiln:Storage:SigningKey must be base64 of at least 32 bytes.");
            return ValidateOptionsResult.Success;
        }

        private static bool TryKey(string k, out int n)
        {
            var buf = new byte[k.Length];
            return Convert.TryFromBase64String(k, buf, out n);
        }
    }
}
