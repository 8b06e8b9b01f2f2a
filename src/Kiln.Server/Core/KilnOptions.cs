using Microsoft.Extensions.Options;

namespace Kiln.Server.Core;

/// <summary>Top-level settings, section "Kiln". CLI flags map onto these keys.</summary>
public sealed class KilnOptions
{
    public const string Section = "Kiln";

    /// <summary>Where SQLite, local blobs and the demo files live.</summary>
    public string DataDir { get; set; } = "kiln-data";

    /// <summary>Absolute base URL that clients reach this node on; derived from the request when empty.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Empty: SQLite under <see cref="DataDir"/>. "Host=..." selects PostgreSQL.</summary>
    public string? Database { get; set; }

    /// <summary>Empty: local disk under <see cref="DataDir"/>. "s3://bucket?..." selects S3.</summary>
    public string? Storage { get; set; }

    /// <summary>Create the demo org/project/credential on first start.</summary>
    public bool Bootstrap { get; set; } = true;

    /// <summary>
    /// The key-encryption key: 32 bytes in base64 (a comma-separated list during rotation: the first wraps, all unwrap).
    /// Wins over <see cref="KeyEncryptionKeyFile"/>; the <c>KILN_KEY_ENCRYPTION_KEY</c> environment variable works too
    /// (docs/security.md#keys-at-rest).
    /// </summary>
    public string? KeyEncryptionKey { get; set; }

    /// <summary>A file holding the key-encryption key (one base64 key per line). Default on SQLite: kiln.kek in <see cref="DataDir"/>, created on first start.</summary>
    public string? KeyEncryptionKeyFile { get; set; }

    public string FullDataDir => Path.GetFullPath(DataDir);

    public bool UsesPostgres => Database is { } d && d.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    internal sealed class Validator : IValidateOptions<KilnOptions>
    {
        public ValidateOptionsResult Validate(string? name, KilnOptions o)
        {
            if (string.IsNullOrWhiteSpace(o.DataDir))
                return ValidateOptionsResult.Fail("Kiln:DataDir must not be empty.");
            if (o.PublicBaseUrl is { Length: > 0 } u &&
                (!Uri.TryCreate(u, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https")))
                return ValidateOptionsResult.Fail($"Kiln:PublicBaseUrl '{u}' is not an absolute http(s) URL.");
            if (KeyEncryption.ConfigurationProblem(o) is { } problem)
                return ValidateOptionsResult.Fail(problem);
            return ValidateOptionsResult.Success;
        }
    }
}
