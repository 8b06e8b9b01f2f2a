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
            if (o.UserCacheMaxAge < TimeSpan.Zero) errors.Add("Kiln:UserCacheMaxAge must not be negative.");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
