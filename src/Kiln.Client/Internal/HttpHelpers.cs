using System.Net.Http.Headers;
using System.Text.Json;

namespace Kiln.Client.Internal;

internal static class HttpHelpers
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>The URL as a base for relative paths: a trailing slash, so <c>http://h/prefix</c> keeps its <c>prefix</c>.</summary>
    public static Uri? AsBase(Uri? url) =>
        url is null || !url.IsAbsoluteUri || url.AbsolutePath.EndsWith('/') ? url : new Uri(url.GetLeftPart(UriPartial.Path) + "/" + url.Query);

    /// <summary>A path (no leading slash) below a base URL, keeping the base's own path.</summary>
    public static Uri Under(Uri baseUrl, string relative) => new(AsBase(baseUrl)!, relative.TrimStart('/'));

    /// <summary>
    /// Sends, mapping every kind of timeout (the resilience pipeline's, HttpClient.Timeout's) to <see cref="KilnTimeoutException"/>;
    /// the caller's own cancellation stays an <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage req, HttpCompletionOption option, CancellationToken ct)
    {
        try { return await http.SendAsync(req, option, ct).ConfigureAwait(false); }
        catch (Polly.Timeout.TimeoutRejectedException e)
        {
            throw new KilnTimeoutException($"{req.Method} {req.RequestUri} timed out after {e.Timeout.TotalSeconds:0.###} s.", e);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new KilnTimeoutException($"{req.Method} {req.RequestUri} timed out.", e);
        }
    }

    /// <summary>Retry-After as a delay: delta seconds, or an HTTP date measured against the given clock.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage res, TimeProvider clock) => RetryAfter(res.Headers.RetryAfter, clock);

    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? h, TimeProvider clock)
    {
        if (h?.Delta is { } d) return d < TimeSpan.Zero ? TimeSpan.Zero : d;
        if (h?.Date is { } date) { var wait = date - clock.GetUtcNow(); return wait < TimeSpan.Zero ? TimeSpan.Zero : wait; }
        return null;
    }

    public static string? RequestId(HttpResponseMessage res) =>
        res.Headers.TryGetValues("x-request-id", out var v) ? v.FirstOrDefault() : null;

    public static async Task<JsonElement?> TryReadJsonAsync(HttpResponseMessage res, CancellationToken ct)
    {
        try
        {
            var text = await res.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(text)) return null;
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException) { return null; }
    }

    public static string? Str(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static string CanonicalScopes(string? scopes) =>
        string.Join(',', (scopes ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
