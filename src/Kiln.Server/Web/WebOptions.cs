using Microsoft.Extensions.Options;

namespace Kiln.Server.Web;

/// <summary>Console UI settings, section "Kiln:Web".</summary>
public sealed class WebOptions
{
    public const string Section = "Kiln:Web";

    /// <summary>How long a sign-in lasts (absolute, not sliding).</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);
    /// <summary>Wrong passwords allowed per email and address (and 4x that per address) before sign-in pauses.</summary>
    public int MaxLoginFailures { get; set; } = 5;
    /// <summary>The window the failures are counted in; sign-in resumes when it ends.</summary>
    public TimeSpan LoginFailureWindow { get; set; } = TimeSpan.FromMinutes(15);

    internal sealed class Validator : IValidateOptions<WebOptions>
    {
        public ValidateOptionsResult Validate(string? name, WebOptions o)
        {
            var errors = new List<string>();
            if (o.SessionLifetime < TimeSpan.FromMinutes(5) || o.SessionLifetime > TimeSpan.FromDays(30))
                errors.Add("Kiln:Web:SessionLifetime must be between 5 minutes and 30 days.");
            if (o.MaxLoginFailures is < 1 or > 1000) errors.Add("Kiln:Web:MaxLoginFailures must be between 1 and 1000.");
            if (o.LoginFailureWindow < TimeSpan.FromSeconds(1) || o.LoginFailureWindow > TimeSpan.FromDays(1))
                errors.Add("Kiln:Web:LoginFailureWindow must be between 1 second and 1 day.");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
