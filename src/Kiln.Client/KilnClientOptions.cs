using Microsoft.Extensions.Options;

namespace Kiln.Client;

/// <summary>
/// Settings for the Kiln client: where IMS, Firefly and the Console API live, and the credential to use.
/// There is no default host: call <see cref="UseKiln"/> with a Kiln base URL, or <see cref="UseAdobe"/> for Adobe's
/// production hosts, or set the three URLs (configuration keys <c>ImsBaseUrl</c>, <c>FireflyBaseUrl</c>,
/// <c>ConsoleBaseUrl</c>, or <c>BaseUrl</c> for all three; see docs/client.md#configuration).
/// </summary>
public sealed class KilnClientOptions
{
    /// <summary>The Adobe production IMS host.</summary>
    public const string AdobeImsBaseUrl = "https://ims-na1.adobelogin.com";

    /// <summary>The Adobe production Firefly host.</summary>
    public const string AdobeFireflyBaseUrl = "https://firefly-api.adobe.io";

    /// <summary>The Adobe production Console (I/O Management API) host.</summary>
    public const string AdobeConsoleBaseUrl = "https://api.adobe.io";

    /// <summary>The scopes the Firefly SDK requests by default.</summary>
    public const string DefaultFireflyScopes = "firefly_api,ff_apis";

    /// <summary>The scopes the I/O Management API (secret rotation) needs.</summary>
    public const string IoManagementScopes = "AdobeID,openid,read_organizations,additional_info.projectedProductContext,additional_info.roles,adobeio_api,read_client_secret,manage_client_secrets";

    /// <summary>
    /// One base URL for IMS, Firefly and Console (a Kiln server serves all three), as from configuration;
    /// the same as <see cref="UseKiln"/>. A path is kept: <c>http://host/kiln/</c> sends tokens to <c>http://host/kiln/ims/token/v3</c>.
    /// </summary>
    public Uri? BaseUrl
    {
        get => _baseUrl;
        set { _baseUrl = value; if (value is not null) UseKiln(value); }
    }
    private Uri? _baseUrl;

    /// <summary>Base URL of the identity service (token endpoint <c>ims/token/v3</c> below it). No default.</summary>
    public Uri? ImsBaseUrl { get => _ims; set => _ims = Internal.HttpHelpers.AsBase(value); }
    private Uri? _ims;

    /// <summary>Base URL of the Firefly image API (paths <c>v3/...</c> below it). No default.</summary>
    public Uri? FireflyBaseUrl { get => _firefly; set => _firefly = Internal.HttpHelpers.AsBase(value); }
    private Uri? _firefly;

    /// <summary>Base URL of the Console REST API (paths <c>console/...</c> below it). No default.</summary>
    public Uri? ConsoleBaseUrl { get => _console; set => _console = Internal.HttpHelpers.AsBase(value); }
    private Uri? _console;

    /// <summary>The credential's client id (API key), sent as <c>x-api-key</c>.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>
    /// The credential's client secrets, in order of preference. When IMS rejects one as
    /// <c>invalid_client</c>, the next one is tried (see <see cref="ServerToServerTokenProvider.SecretFallback"/>).
    /// </summary>
    public IList<string> ClientSecrets { get; } = [];

    /// <summary>The scopes requested for Firefly calls (and by default), comma-separated. Request only what you need.</summary>
    public string Scopes { get; set; } = DefaultFireflyScopes;

    /// <summary>The scopes requested for Console API calls, comma-separated.</summary>
    public string ConsoleScopes { get; set; } = IoManagementScopes;

    /// <summary>
    /// A pre-obtained access token (for example from <c>FIREFLY_SERVICES_ACCESS_TOKEN</c> or <c>kiln login</c>).
    /// When set it is used as is and never renewed; no secret is needed.
    /// </summary>
    public string? AccessToken { get; set; }

    /// <summary>
    /// How long before expiry a token is renewed in the background while it keeps being served.
    /// IMS tokens live 24 hours; the default is 5 minutes (never more than half a token's lifetime).
    /// </summary>
    public TimeSpan RefreshBeforeExpiry { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>First delay after a failed token request; it doubles on each further failure.</summary>
    public TimeSpan FailureBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between token attempts after failures.</summary>
    public TimeSpan MaxFailureBackoff { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>First delay between job status polls; it grows up to <see cref="MaxJobPollInterval"/>.</summary>
    public TimeSpan JobPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest delay between job status polls.</summary>
    public TimeSpan MaxJobPollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Overall limit for <see cref="FireflyClient.WaitForJobAsync"/> when the caller gives none.</summary>
    public TimeSpan JobTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Where the secret currently in use can be re-read when every configured secret is rejected (optional).</summary>
    public ISecretStore? SecretStore { get; set; }

    /// <summary>
    /// The limit for one attempt of one request (default 100 seconds); the retry policy may make further attempts.
    /// When it passes the call throws <see cref="KilnTimeoutException"/>.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    /// <summary>The limit for one call with all its retries (default 3 minutes). When it passes the call throws <see cref="KilnTimeoutException"/>.</summary>
    public TimeSpan TotalRequestTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>The clock for token expiry, backoff and polling. Tests use a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Points IMS, Firefly and Console at one base URL, as a Kiln server serves all three. A path in the URL is kept
    /// (Kiln behind a reverse proxy at <c>https://host/kiln/</c> works).
    /// </summary>
    /// <param name="baseUrl">The Kiln base URL, for example <c>http://127.0.0.1:5000</c>.</param>
    public KilnClientOptions UseKiln(Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ImsBaseUrl = FireflyBaseUrl = ConsoleBaseUrl = baseUrl;
        return this;
    }

    /// <summary>Points IMS, Firefly and Console at Adobe's production hosts.</summary>
    public KilnClientOptions UseAdobe()
    {
        ImsBaseUrl = new Uri(AdobeImsBaseUrl);
        FireflyBaseUrl = new Uri(AdobeFireflyBaseUrl);
        ConsoleBaseUrl = new Uri(AdobeConsoleBaseUrl);
        return this;
    }

    /// <summary>Checks the options; a host fails at start on a bad configuration.</summary>
    internal sealed class Validator : IValidateOptions<KilnClientOptions>
    {
        /// <inheritdoc />
        public ValidateOptionsResult Validate(string? name, KilnClientOptions options)
        {
            var errors = new List<string>();
            foreach (var (label, url) in new[] { ("ImsBaseUrl", options.ImsBaseUrl), ("FireflyBaseUrl", options.FireflyBaseUrl), ("ConsoleBaseUrl", options.ConsoleBaseUrl) })
                if (url is null) errors.Add($"{label} is not set: call UseKiln(baseUrl) or UseAdobe(), or set BaseUrl in configuration.");
                else if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")) errors.Add($"{label} must be an absolute http(s) URL.");
            if (string.IsNullOrWhiteSpace(options.ClientId)) errors.Add("ClientId is required.");
            if (options.ClientSecrets.Any(string.IsNullOrEmpty)) errors.Add("ClientSecrets must not contain empty entries.");
            if (options.ClientSecrets.Count == 0 && string.IsNullOrEmpty(options.AccessToken) && options.SecretStore is null)
                errors.Add("No credential: add a client secret (ClientSecrets), set AccessToken, or set a SecretStore that holds one.");
            if (options.RequestTimeout <= TimeSpan.Zero || options.TotalRequestTimeout < options.RequestTimeout)
                errors.Add("RequestTimeout must be positive and not above TotalRequestTimeout.");
            if (options.RefreshBeforeExpiry < TimeSpan.Zero) errors.Add("RefreshBeforeExpiry must not be negative.");
            if (options.FailureBackoff <= TimeSpan.Zero || options.MaxFailureBackoff < options.FailureBackoff)
                errors.Add("FailureBackoff must be positive and not above MaxFailureBackoff.");
            if (options.JobPollInterval <= TimeSpan.Zero || options.MaxJobPollInterval < options.JobPollInterval)
                errors.Add("JobPollInterval must be positive and not above MaxJobPollInterval.");
            if (options.JobTimeout <= TimeSpan.Zero) errors.Add("JobTimeout must be positive.");
            if (options.TimeProvider is null) errors.Add("TimeProvider is required.");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
