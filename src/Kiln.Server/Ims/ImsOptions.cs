using Microsoft.Extensions.Options;

namespace Kiln.Server.Ims;

/// <summary>Identity-service settings, section "Kiln:Ims".</summary>
public sealed class ImsOptions
{
    public const string Section = "Kiln:Ims";

    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);
    /// <summary>The <c>iss</c> claim and the discovery issuer; when empty, derived by <see cref="ImsIssuer"/> (docs/identity.md#issuer).</summary>
    public string? Issuer { get; set; }
    /// <summary>Secrets per credential; Adobe allows 2, Kiln up to 5.</summary>
    public int MaxSecretsPerCredential { get; set; } = 2;
    /// <summary>Optional base64 HMAC key for secret hashes; when empty a key is generated and kept in the database.</summary>
    public string? SecretPepper { get; set; }
    /// <summary>How often secret usage and failed-attempt counters are written to the database.</summary>
    public TimeSpan UsageFlushInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>How often each node re-reads the signing keys (picks up rotations made elsewhere).</summary>
    public TimeSpan KeyRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
    public BruteForceOptions BruteForce { get; set; } = new();

    public sealed class BruteForceOptions
    {
        public int MaxFailuresPerClient { get; set; } = 10;
        public int MaxFailuresPerAddress { get; set; } = 30;
        public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
    }

    internal sealed class Validator : IValidateOptions<ImsOptions>
    {
        public ValidateOptionsResult Validate(string? name, ImsOptions o)
        {
            var errors = new List<string>();
            if (o.TokenLifetime < TimeSpan.FromMinutes(11))
                errors.Add("Kiln:Ims:TokenLifetime must be more than 10 minutes (aio-lib-ims rejects shorter tokens).");
            if (o.MaxSecretsPerCredential is < 1 or > 5)
                errors.Add("Kiln:Ims:MaxSecretsPerCredential must be between 1 and 5.");
            if (o.UsageFlushInterval <= TimeSpan.Zero) errors.Add("Kiln:Ims:UsageFlushInterval must be positive.");
            if (o.BruteForce.MaxFailuresPerClient < 1 || o.BruteForce.MaxFailuresPerAddress < 1 || o.BruteForce.Window <= TimeSpan.Zero)
                errors.Add("Kiln:Ims:BruteForce limits must be positive.");
            if (o.SecretPepper is { Length: > 0 } p && !IsBase64Key(p))
                errors.Add("Kiln:Ims:SecretPepper must be base64 of at least 32 bytes.");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }

        private static bool IsBase64Key(string p)
        {
            var buf = new byte[p.Length];
            return Convert.TryFromBase64String(p, buf, out var n) && n >= 32;
        }
    }
}
