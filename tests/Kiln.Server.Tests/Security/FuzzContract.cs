using System.Text;
using System.Text.Json;

namespace Kiln.Server.Tests.Security;

/// <summary>The per-response property the endpoint fuzzer checks, by route family (docs/identity.md#token-errors, docs/console.md#authentication-and-errors, docs/firefly.md#errors, docs/identity.md#json-bodies-and-x-request-id).</summary>
public static class FuzzContract
{
    /// <summary>Null when the answer keeps the contract; otherwise what is wrong with it.</summary>
    public static string? Violation(FuzzRoute route, HttpRequestMessage request, HttpResponseMessage res, byte[] body)
    {
        var status = (int)res.StatusCode;
        if (status == 503 && res.Headers.RetryAfter is not null) return null; // documented overload answer
        if (status >= 500) return $"server error {status}";
        // Kestrel refuses a request target with an encoded NUL itself, before any Kiln code runs (like its 431): no body.
        if (status == 400 && body.Length == 0 && request.RequestUri!.OriginalString.Contains("%00", StringComparison.Ordinal)) return null;
        var target = request.RequestUri!.IsAbsoluteUri ? request.RequestUri.PathAndQuery : request.RequestUri.OriginalString;
        // So does a request line over Kestrel's limit (several long ids in one path): 414, no body.
        if (status == 414 && body.Length == 0 && Encoding.UTF8.GetByteCount($"{request.Method} {target} HTTP/1.1\r\n") > MaxRequestLine) return null;
        var path = target.Split('?')[0];
        if (path.StartsWith("/console", StringComparison.Ordinal) && !IsConsoleApi(path))
            return route.Method != "POST" || status >= 400 || IsSignInAnswer(res, body)
                ? null : $"console UI form accepted a POST without an anti-forgery token ({status} {res.Headers.Location})";
        if (status < 400) return null;
        if (res.Content.Headers.ContentType?.MediaType != "application/json") return $"error {status} without application/json ({res.Content.Headers.ContentType})";
        JsonElement json;
        try { json = JsonDocument.Parse(body).RootElement; }
        catch (JsonException) { return "error body is not JSON"; }
        if (json.ValueKind != JsonValueKind.Object) return "error body is not a JSON object";
        if (route.Pattern.RawText!.StartsWith("/ims/", StringComparison.Ordinal) && status != 404 && status != 405)
            return IsString(json, "error") ? null : "no OAuth {error, error_description} body";
        if (!IsString(json, "error_code") || !IsString(json, "message")) return "no {error_code, message} body";
        if (json.TryGetProperty("validation_errors", out var errors))
        {
            if (errors.ValueKind != JsonValueKind.Array) return "validation_errors is not an array";
            foreach (var e in errors.EnumerateArray())
                if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("loc", out var loc) || loc.ValueKind != JsonValueKind.Array
                    || !IsString(e, "msg") || !IsString(e, "type"))
                    return "a validation error without {loc[], msg, type}";
        }
        return null;
    }

    private static readonly int MaxRequestLine = new Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerLimits().MaxRequestLineSize;

    /// <summary>
    /// With no session a console page answers its sign-in form (or a redirect to it) whatever is posted: nothing can act
    /// without a session. With a session, a POST without an anti-forgery token must be a 4xx (the signed-in fuzz run).
    /// </summary>
    private static bool IsSignInAnswer(HttpResponseMessage res, byte[] body) =>
        res.Headers.Location?.OriginalString.Contains(Web.WebPaths.Login, StringComparison.Ordinal) == true
        || ((int)res.StatusCode == 200 && System.Text.Encoding.UTF8.GetString(body).Contains("<title>Sign in", StringComparison.Ordinal));

    private static bool IsConsoleApi(string path) =>
        path.StartsWith("/console/organizations", StringComparison.Ordinal) || path.StartsWith("/console/clients", StringComparison.Ordinal);

    private static bool IsString(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String;
}
