using System.Globalization;
using System.Text.Json;
using Kiln.Server.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Server.Console;

/// <summary>
/// Reads Console request bodies by hand, so that a malformed or missing body is a 400 JSON error and never
/// an empty response or a 500. Field names are matched case-insensitively (camelCase and snake_case as declared).
/// </summary>
public static class ConsoleJson
{
    public const int MaxBodyBytes = 256 * 1024;
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        AllowTrailingCommas = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString,
    };

    public static async Task<(T? Value, JsonHttpResult<ApiError>? Error)> ReadAsync<T>(HttpRequest req, CancellationToken ct) where T : class
    {
        if (req.ContentLength > MaxBodyBytes) return (null, ApiErrors.BadRequest("request body too large"));
        if (await CappedBody.ReadAsync(req.Body, MaxBodyBytes, ct) is not { } body) return (null, ApiErrors.BadRequest("request body too large"));
        if (body.Length == 0) return (null, ApiErrors.BadRequest("a JSON request body is required"));
        try
        {
            var value = JsonSerializer.Deserialize<T>(body, Options);
            return value is null ? (null, ApiErrors.BadRequest("a JSON request body is required")) : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } p ? $" at {p}" : "";
            return (null, ApiErrors.BadRequest($"malformed JSON body{where}"));
        }
    }

    /// <summary>Console timestamps on projects and workspaces: ISO 8601 UTC with milliseconds.</summary>
    public static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Str(long id) => id.ToString(CultureInfo.InvariantCulture);
}
