using Microsoft.Extensions.Options;

namespace Kiln.Server.Upstream;

/// <summary>Upstream engine settings, section "Kiln:Upstream" (docs/configuration.md#upstream-engines).</summary>
public sealed class UpstreamOptions
{
    public const string Section = "Kiln:Upstream";

    /// <summary>The longest one call to the upstream (IMS, Firefly, an output download) may take.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(120);
    /// <summary>The Retry-After a sync request gets when the upstream is down or timed out.</summary>
    public int RetryAfterSeconds { get; set; } = 5;
    /// <summary>The first and the longest wait between status polls of an upstream job.</summary>
    public TimeSpan StatusPollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxStatusPollInterval { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Failed calls in a row (down, 5xx, timeout, 429) after which an async job gives up and fails.</summary>
    public int JobRetryLimit { get; set; } = 8;
    /// <summary>The first and the longest wait between those retries (doubling).</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>The longest an upstream job may take before Kiln cancels it and fails the job.</summary>
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromMinutes(30);
    /// <summary>Rotation: how long the old secret must be unused before it is deleted, and the deadline after which it is deleted anyway.</summary>
    public TimeSpan RotationIdleWindow { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan RotationDeadline { get; set; } = TimeSpan.FromHours(1);
    public TimeSpan RotationPollInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>How often each node looks for profiles whose scheduled rotation is due.</summary>
    public TimeSpan RotationCheckInterval { get; set; } = TimeSpan.FromHours(1);

    internal sealed class Validator : IValidateOptions<UpstreamOptions>
    {
        public ValidateOptionsResult Validate(string? name, UpstreamOptions o)
        {
            var errors = new List<string>();
            if (o.RequestTimeout < TimeSpan.FromSeconds(1)) errors.Add("Kiln:Upstream:RequestTimeout must be at least 1 second.");
            if (o.RetryAfterSeconds < 1) errors.Add("Kiln:Upstream:RetryAfterSeconds must be at least 1.");
            if (o.JobRetryLimit is < 0 or > 100) errors.Add("Kiln:Upstream:JobRetryLimit must be between 0 and 100.");
            if (o.StatusPollInterval <= TimeSpan.Zero || o.MaxStatusPollInterval < o.StatusPollInterval) errors.Add("Kiln:Upstream:StatusPollInterval/MaxStatusPollInterval are inconsistent.");
            if (o.RetryBackoff <= TimeSpan.Zero || o.MaxRetryBackoff < o.RetryBackoff) errors.Add("Kiln:Upstream:RetryBackoff/MaxRetryBackoff are inconsistent.");
            if (o.RotationPollInterval <= TimeSpan.Zero || o.RotationCheckInterval <= TimeSpan.Zero) errors.Add("Kiln:Upstream rotation intervals must be positive.");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
