using Microsoft.Extensions.Options;

namespace Kiln.Server.Users;

/// <summary>User-account settings, read from section "Kiln" (for example <c>Kiln:AdminEmail</c>).</summary>
public sealed class AccountOptions
{
    public const string Section = "Kiln";

    /// <summary>The first admin user created on first start.</summary>
    public string AdminEmail { get; set; } = "admin@kiln.local";
    /// <summary>How long a device code may be approved and polled (RFC 8628 <c>expires_in</c>).</summary>
    public TimeSpan DeviceCodeLifetime { get; set; } = TimeSpan.FromMinutes(10);
    /// <summary>The minimum polling interval handed to the CLI.</summary>
    public TimeSpan DevicePollInterval { get; set; } = TimeSpan.FromSeconds(5);
    /// <summary>Wrong user codes one signed-in user may enter on the approval page per <see cref="DeviceFailureWindow"/> (RFC 8628 §5.1).</summary>
    public int DeviceMaxFailedCodes { get; set; } = 10;
    /// <summary>Wrong user codes one source address may enter per <see cref="DeviceFailureWindow"/>, whoever is signed in.</summary>
    public int DeviceMaxFailedCodesPerAddress { get; set; } = 30;
    public TimeSpan DeviceFailureWindow { get; set; } = TimeSpan.FromMinutes(15);
    /// <summary>Device authorizations one source address may start per <see cref="DeviceCodeRequestWindow"/>.</summary>
    public int DeviceCodeRequestsPerAddress { get; set; } = 10;
    public TimeSpan DeviceCodeRequestWindow { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Device authorizations kept at most (pending, decided, or expired less than a minute ago); past it, new ones wait.</summary>
    public int DeviceMaxStoredCodes { get; set; } = 1000;
    /// <summary>How long the user-token check trusts a cached "user active" answer (changes made here invalidate at once).</summary>
    public TimeSpan UserCacheMaxAge { get; set; } = TimeSpan.FromSeconds(30);

    internal sealed class Validator : IValidateOptions<AccountOptions>
    {
        public ValidateOptionsResult Validate(string? name, AccountOptions o)
        {
            var errors = new List<string>();
            if (!UserAccounts.IsValidEmail(o.AdminEmail)) errors.Add("Kiln:AdminEmail must be an email address.");
            if (o.DeviceCodeLifetime < TimeSpan.FromMinutes(1) || o.DeviceCodeLifetime > TimeSpan.FromHours(1))
                errors.Add("Kiln:DeviceCodeLifetime must be between 1 minute and 1 hour.");
            if (o.DevicePollInterval < TimeSpan.FromSeconds(1) || o.DevicePollInterval > TimeSpan.FromMinutes(1))
                errors.Add("Kiln:DevicePollInterval must be between 1 and 60 seconds.");
            if (o.DeviceMaxFailedCodes is < 1 or > 1000) errors.Add("Kiln:DeviceMaxFailedCodes must be between 1 and 1000.");
            if (o.DeviceMaxFailedCodesPerAddress is < 1 or > 10_000) errors.Add("Kiln:DeviceMaxFailedCodesPerAddress must be between 1 and 10000.");
            if (o.DeviceFailureWindow < TimeSpan.FromSeconds(1) || o.DeviceFailureWindow > TimeSpan.FromDays(1))
                errors.Add("Kiln:DeviceFailureWindow must be between 1 second and 1 day.");
            if (o.DeviceCodeRequestsPerAddress is < 1 or > 10_000) errors.Add("Kiln:DeviceCodeRequestsPerAddress must be between 1 and 10000.");
            if (o.DeviceCodeRequestWindow < TimeSpan.FromSeconds(1) || o.DeviceCodeRequestWindow > TimeSpan.FromDays(1))
                errors.Add("Kiln:DeviceCodeRequestWindow must be between 1 second and 1 day.");
            if (o.DeviceMaxStoredCodes is < 1 or > 1_000_000) errors.Add("Kiln:DeviceMaxStoredCodes must be between 1 and 1000000.");
            if (o.UserCacheMaxAge < TimeSpan.Zero) errors.Add("Kiln:UserCacheMaxAge must not be negative.");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
