using System.Text.Json.Serialization;
using Kiln.Client.Internal;

namespace Kiln.Client;

/// <summary>A device authorization (RFC 8628) as answered by <c>POST /ims/device/code</c>.</summary>
/// <param name="DeviceCode">The code the client polls with (secret to the client).</param>
/// <param name="UserCode">The code the user types.</param>
/// <param name="VerificationUri">Where the user goes.</param>
/// <param name="VerificationUriComplete">The same with the code filled in, if offered.</param>
/// <param name="ExpiresIn">Seconds until the codes expire.</param>
/// <param name="Interval">Seconds between polls.</param>
public sealed record DeviceAuthorization(
    [property: JsonPropertyName("device_code")] string DeviceCode,
    [property: JsonPropertyName("user_code")] string UserCode,
    [property: JsonPropertyName("verification_uri")] Uri VerificationUri,
    [property: JsonPropertyName("verification_uri_complete")] Uri? VerificationUriComplete,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("interval")] int? Interval);

/// <summary>
/// The device flow for signing a person in from a terminal: request a code, show it, poll the token endpoint with
/// grant <c>urn:ietf:params:oauth:grant-type:device_code</c> until the user approves, denies, or the code expires.
/// </summary>
/// <param name="http">An HTTP client (no auth handler needed).</param>
/// <param name="options">The client options (IMS base URL, clock).</param>
public class DeviceFlowClient(HttpClient http, KilnClientOptions options)
{
    /// <summary>For mocking frameworks: a client that must not be called unmocked.</summary>
    protected DeviceFlowClient() : this(null!, new KilnClientOptions()) { }

    private Uri Ims => options.ImsBaseUrl ?? throw new InvalidOperationException("KilnClientOptions.ImsBaseUrl is not set: call UseKiln(baseUrl) or UseAdobe().");

    /// <summary>The grant type polled with.</summary>
    public const string GrantType = "urn:ietf:params:oauth:grant-type:device_code";

    /// <summary>Requests a device and user code.</summary>
    /// <param name="clientId">The public client id of the app signing in.</param>
    /// <param name="scopes">Comma-separated scopes, or null.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual async Task<DeviceAuthorization> RequestCodeAsync(string clientId, string? scopes, CancellationToken cancellationToken = default)
    {
        var ct = cancellationToken;
        var form = new List<KeyValuePair<string, string>> { new("client_id", clientId) };
        if (!string.IsNullOrEmpty(scopes)) form.Add(new("scope", HttpHelpers.CanonicalScopes(scopes)));
        using var res = await http.PostAsync(HttpHelpers.Under(Ims, "ims/device/code"), new FormUrlEncodedContent(form), ct).ConfigureAwait(false);
        if (!res.IsSuccessStatusCode)
        {
            var (raw, _, code, message, requestId) = await KilnApiException.ReadAsync(res, ct).ConfigureAwait(false);
            throw new KilnApiException(res.StatusCode, code, message, requestId, raw);
        }
        return await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<DeviceAuthorization>(res.Content, HttpHelpers.Json, ct).ConfigureAwait(false)
            ?? throw new KilnApiException(res.StatusCode, "invalid_response", "empty device authorization", HttpHelpers.RequestId(res), null);
    }

    /// <summary>
    /// Polls until a token is issued or the flow ends. Honours <c>interval</c> and <c>slow_down</c> (+5 s).
    /// Returns the token, or a failure such as <c>access_denied</c> or <c>expired_token</c>.
    /// </summary>
    /// <param name="clientId">The client id used for the code.</param>
    /// <param name="authorization">The code.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual async Task<TokenResult> WaitForTokenAsync(string clientId, DeviceAuthorization authorization, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        var ct = cancellationToken;
        var clock = options.TimeProvider;
        var interval = TimeSpan.FromSeconds(Math.Max(1, authorization.Interval ?? 5));
        var deadline = clock.GetUtcNow().AddSeconds(Math.Max(1, authorization.ExpiresIn));
        while (true)
        {
            await Task.Delay(interval, clock, ct).ConfigureAwait(false);
            if (clock.GetUtcNow() > deadline) return TokenResult.Failure("expired_token", "the device code expired before it was approved");
            var form = new FormUrlEncodedContent([new("grant_type", GrantType), new("device_code", authorization.DeviceCode), new("client_id", clientId)]);
            using var req = new HttpRequestMessage(HttpMethod.Post, HttpHelpers.Under(Ims, "ims/token/v3")) { Content = form };
            using var res = await http.SendAsync(req, ct).ConfigureAwait(false);
            var json = await HttpHelpers.TryReadJsonAsync(res, ct).ConfigureAwait(false);
            if (res.IsSuccessStatusCode && json?.Str("access_token") is { Length: > 0 } token)
            {
                var seconds = json.Value.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var s) ? s : 86399;
                return TokenResult.Success(token, clock.GetUtcNow().AddSeconds(seconds), -1);
            }
            switch (json?.Str("error"))
            {
                case "authorization_pending": continue;
                case "slow_down": interval += TimeSpan.FromSeconds(5); continue;
                default:
                    return TokenResult.Failure(json?.Str("error") ?? "http_" + (int)res.StatusCode, json?.Str("error_description"), (int)res.StatusCode,
                        HttpHelpers.RetryAfter(res, clock), HttpHelpers.RequestId(res));
            }
        }
    }
}
