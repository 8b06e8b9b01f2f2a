using System.Net;
using System.Text.Json;
using Kiln.Client.Internal;

namespace Kiln.Client;

/// <summary>An API answered with an error status. Carries the gateway body (<c>error_code</c>, <c>message</c>) and <c>x-request-id</c>.</summary>
public class KilnApiException : HttpRequestException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="errorCode">The <c>error_code</c> field, if any.</param>
    /// <param name="message">The <c>message</c> field or the reason phrase.</param>
    /// <param name="requestId">The <c>x-request-id</c> response header.</param>
    /// <param name="body">The raw error body.</param>
    public KilnApiException(HttpStatusCode status, string? errorCode, string? message, string? requestId, string? body)
        : base(Describe(status, errorCode, message, requestId), null, status)
    {
        ErrorCode = errorCode;
        ApiMessage = message;
        RequestId = requestId;
        Body = body;
    }

    /// <summary>The <c>error_code</c> (e.g. <c>validation_error</c>, <c>401013</c>), or null.</summary>
    public string? ErrorCode { get; }

    /// <summary>The server's <c>message</c>.</summary>
    public string? ApiMessage { get; }

    /// <summary>The <c>x-request-id</c> to quote to the operator.</summary>
    public string? RequestId { get; }

    /// <summary>The raw body.</summary>
    public string? Body { get; }

    /// <summary>How long the server asked to wait (429), if it said.</summary>
    public TimeSpan? RetryAfter { get; init; }

    private static string Describe(HttpStatusCode status, string? code, string? message, string? requestId) =>
        $"{(int)status} {code ?? status.ToString()}: {message ?? "(no message)"}" + (requestId is null ? "" : $" (x-request-id {requestId})");

    internal static async Task<(string? Body, JsonElement? Json, string? Code, string? Message, string? RequestId)> ReadAsync(HttpResponseMessage res, CancellationToken ct)
    {
        var body = await res.Content.ReadAsStringAsync(ct);
        JsonElement? json = null;
        try { if (body.Length > 0) { using var d = JsonDocument.Parse(body); json = d.RootElement.Clone(); } }
        catch (JsonException) { }
        var message = json?.Str("message") ?? json?.Str("error_description") ?? res.ReasonPhrase;
        var code = json?.Str("error_code") ?? json?.Str("error");
        return (body, json, code, message, HttpHelpers.RequestId(res));
    }
}

/// <summary>A Console API error.</summary>
public sealed class ConsoleApiException : KilnApiException
{
    /// <inheritdoc cref="KilnApiException(HttpStatusCode, string?, string?, string?, string?)" />
    public ConsoleApiException(HttpStatusCode status, string? errorCode, string? message, string? requestId, string? body)
        : base(status, errorCode, message, requestId, body) { }
}

/// <summary>One entry of Firefly's <c>validation_errors</c>.</summary>
/// <param name="Loc">Where (e.g. <c>["body","size"]</c>).</param>
/// <param name="Msg">What is wrong.</param>
/// <param name="Type">The error type (e.g. <c>type_error.enum</c>).</param>
public sealed record FireflyValidationError(IReadOnlyList<JsonElement> Loc, string Msg, string Type);

/// <summary>A Firefly API error (or a failed job): status, <c>error_code</c>, <c>message</c>, <c>validation_errors</c>, <c>x-request-id</c>.</summary>
public sealed class FireflyApiException : KilnApiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The HTTP status (200 for a job that finished as failed).</param>
    /// <param name="errorCode">The <c>error_code</c>.</param>
    /// <param name="message">The <c>message</c>.</param>
    /// <param name="requestId">The <c>x-request-id</c>.</param>
    /// <param name="body">The raw body.</param>
    /// <param name="validationErrors">The <c>validation_errors</c>, empty when none.</param>
    public FireflyApiException(HttpStatusCode status, string? errorCode, string? message, string? requestId, string? body,
        IReadOnlyList<FireflyValidationError> validationErrors)
        : base(status, errorCode, message, requestId, body) => ValidationErrors = validationErrors;

    /// <summary>The <c>validation_errors</c>, empty when none.</summary>
    public IReadOnlyList<FireflyValidationError> ValidationErrors { get; }

    internal static IReadOnlyList<FireflyValidationError> ParseValidation(JsonElement? json)
    {
        if (json is not { ValueKind: JsonValueKind.Object } j || !j.TryGetProperty("validation_errors", out var v) || v.ValueKind != JsonValueKind.Array) return [];
        return [.. v.EnumerateArray().Select(e => new FireflyValidationError(
            e.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array ? [.. loc.EnumerateArray().Select(x => x.Clone())] : [],
            e.Str("msg") ?? "", e.Str("type") ?? ""))];
    }
}
