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
            var text = await res.Content.ReadAsStringAsync(ct);
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
