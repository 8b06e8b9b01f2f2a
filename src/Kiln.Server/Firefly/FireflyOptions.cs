using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>Image API settings, section "Kiln:Firefly". See docs/firefly.md.</summary>
public sealed class FireflyOptions
{
    public const string Section = "Kiln:Firefly";

    /// <summary>Images rendered at once on this node, sync and async together.</summary>
    public int Workers { get; set; } = Environment.ProcessorCount;

    /// <summary>Sync requests admitted (running or waiting for a worker) before new ones get 429.</summary>
    public int QueueLimit { get; set; } = 64;

    public long MaxUploadBytes { get; set; } = 50L * 1024 * 1024;
    /// <summary>Uploads (<c>POST /v2/storage/image</c>) this node receives at once; past it, 429 with Retry-After.</summary>
    public int MaxConcurrentUploads { get; set; } = 4;
    public long MaxSourceBytes { get; set; } = 50L * 1024 * 1024;
    /// <summary>Decompression-bomb guard: the largest input image (width × height) read from its header before decoding.</summary>
    public long MaxSourcePixels { get; set; } = 64L * 1024 * 1024;

    public TimeSpan UploadLifetime { get; set; } = TimeSpan.FromDays(7);
    public TimeSpan ResultLifetime { get; set; } = TimeSpan.FromHours(24);
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a node's claim on a running job lasts without renewal; another node may take it over after.</summary>
    public TimeSpan JobLease { get; set; } = TimeSpan.FromSeconds(60);
    /// <summary>How often idle workers look for pending jobs (a submit on this node wakes them at once).</summary>
    public TimeSpan JobPollInterval { get; set; } = TimeSpan.FromSeconds(1);
    public int MaxJobAttempts { get; set; } = 3;

    /// <summary>
    /// Hosts <c>source.url</c> may point at (the host itself or a sub-domain); "*" allows any host, the
    /// address checks still apply. Kiln's own pre-signed URLs are always allowed.
    /// </summary>
    public List<string> AllowedSourceHosts { get; set; } = [];
    /// <summary>Lets source URLs reach loopback, private, link-local and metadata addresses. Off: SSRF guard.</summary>
    public bool AllowPrivateSourceAddresses { get; set; }
    /// <summary>Single addresses or CIDR blocks that are allowed even though they are private (for example a local image server).</summary>
    public List<string> AllowedPrivateSourceAddresses { get; set; } = [];
    public TimeSpan SourceTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public RateLimitOptions RateLimit { get; set; } = new();

    public sealed class RateLimitOptions
    {
        /// <summary>Empty: no limit unless an org has its own. "adobe": 4/min and 9,000/day for orgs without their own values.</summary>
        public string? Preset { get; set; }
        public int? PerMinute { get; set; }
        public int? PerDay { get; set; }
    }

    internal static readonly string[] AdobeHosts = ["amazonaws.com", "windows.net", "dropboxusercontent.com", "storage.googleapis.com"];

    /// <summary>The effective host list: Adobe's host list (docs/firefly.md#source-urls-and-ssrf) unless configured.</summary>
    public IReadOnlyList<string> SourceHosts => AllowedSourceHosts.Count > 0 ? AllowedSourceHosts : AdobeHosts;

    internal sealed class Validator : IValidateOptions<FireflyOptions>
    {
        public ValidateOptionsResult Validate(string? name, FireflyOptions o)
        {
            var errors = new List<string>();
            if (o.Workers is < 1 or > 256) errors.Add("Kiln:Firefly:Workers must be between 1 and 256.");
            if (o.QueueLimit < 1) errors.Add("Kiln:Firefly:QueueLimit must be at least 1.");
            if (o.MaxConcurrentUploads < 1) errors.Add("Kiln:Firefly:MaxConcurrentUploads must be at least 1.");
            if (o.MaxUploadBytes < 1024 || o.MaxSourceBytes < 1024) errors.Add("Kiln:Firefly:MaxUploadBytes/MaxSourceBytes must be at least 1024.");
            if (o.UploadLifetime <= TimeSpan.Zero || o.ResultLifetime <= TimeSpan.Zero || o.CleanupInterval <= TimeSpan.Zero)
                errors.Add("Kiln:Firefly lifetimes and CleanupInterval must be positive.");
            if (o.JobLease < TimeSpan.FromSeconds(1) || o.JobPollInterval <= TimeSpan.Zero) errors.Add("Kiln:Firefly:JobLease/JobPollInterval are too small.");
            if (o.RateLimit.Preset is { Length: > 0 } p && !p.Equals("adobe", StringComparison.OrdinalIgnoreCase))
                errors.Add("Kiln:Firefly:RateLimit:Preset must be empty or 'adobe'.");
            foreach (var a in o.AllowedPrivateSourceAddresses)
                if (!System.Net.IPNetwork.TryParse(a, out _) && !System.Net.IPAddress.TryParse(a, out _))
                    errors.Add($"Kiln:Firefly:AllowedPrivateSourceAddresses entry '{a}' is not an address or CIDR.");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
