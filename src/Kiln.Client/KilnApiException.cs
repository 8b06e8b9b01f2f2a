using System.Net;
using System.Text.Json;
using Kiln.Client.Internal;

namespace Kiln.Client;

/// <summary>
/// The one exception every Kiln service failure derives from (docs/client.md#errors): an error status from Firefly,
/// Console or IMS, a token that could not be obtained, or a job that ended without success. It carries what the service
/// said: <see cref="HttpRequestException.StatusCode"/> (null when no error status was received), <see cref="ErrorCode"/>,
/// <see cref="RequestId"/> and <see cref="RetryAfter"/>. Timeouts are <see cref="KilnTimeoutException"/>; the caller's own
/// cancellation is <see cref="OperationCanceledException"/>; a connection that failed is a plain <see cref="HttpRequestException"/>.
/// </summary>
public class KilnApiException : HttpRequestException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The HTTP status, or null when there was no error status (a failed job, a transport failure at IMS).</param>
    /// <param name="errorCode">The <c>error_code</c> (or OAuth <c>error</c>) field, if any.</param>
    /// <param name="message">The <c>message</c> field or the reason phrase.</param>
    /// <param name="requestId">The <c>x-request-id</c> response header.</param>
    /// <param name="body">The raw error body.</param>
    /// <param name="innerException">The cause, if any.</param>
    public KilnApiException(HttpStatusCode? status, string? errorCode, string? message, string? requestId, string? body, Exception? innerException = null)
        : base(Describe(status, errorCode, message, requestId), innerException, status)
    {
        ErrorCode = errorCode;
        ApiMessage = message;
        RequestId = requestId;
        Body = body;
    }

    /// <summary>The <c>error_code</c> (e.g. <c>validation_error</c>, <c>invalid_client</c>, <c>job_canceled</c>), or null.</summary>
    public string? ErrorCode { get; }

    /// <summary>The server's <c>message</c>.</summary>
    public string? ApiMessage { get; }

    /// <summary>The <c>x-request-id</c> to quote to the operator.</summary>
    public string? RequestId { get; }

    /// <summary>The raw body.</summary>
    public string? Body { get; }

    /// <summary>How long the server asked to wait (429, 503) or the token backoff, if known.</summary>
    public TimeSpan? RetryAfter { get; init; }

    private static string Describe(HttpStatusCode? status, string? code, string? message, string? requestId) =>
        $"{(status is { } s ? ((int)s).ToString(System.Globalization.CultureInfo.InvariantCulture) + " " : "")}{code ?? status?.ToString() ?? "error"}: {message ?? "(no message)"}"
        + (requestId is null ? "" : $" (x-request-id {requestId})");

    internal static async Task<(string? Body, JsonElement? Json, string? Code, string? Message, string? RequestId)> ReadAsync(HttpResponseMessage res, CancellationToken ct)
    {
        var body = await res.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
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
    /// <inheritdoc cref="KilnApiException(HttpStatusCode?, string?, string?, string?, string?, Exception?)" />
    public ConsoleApiException(HttpStatusCode status, string? errorCode, string? message, string? requestId, string? body)
        : base(status, errorCode, message, requestId, body) { }
}

/// <summary>One entry of Firefly's <c>validation_errors</c>.</summary>
/// <param name="Loc">Where, as text (e.g. <c>["body","size"]</c>; array indexes as digits).</param>
/// <param name="Msg">What is wrong.</param>
/// <param name="Type">The error type (e.g. <c>type_error.enum</c>).</param>
public sealed record FireflyValidationError(IReadOnlyList<string> Loc, string Msg, string Type);

/// <summary>A Firefly API error: status, <c>error_code</c>, <c>message</c>, <c>validation_errors</c>, <c>x-request-id</c>.</summary>
public class FireflyApiException : KilnApiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="errorCode">The <c>error_code</c>.</param>
    /// <param name="message">The <c>message</c>.</param>
    /// <param name="requestId">The <c>x-request-id</c>.</param>
    /// <param name="body">The raw body.</param>
    /// <param name="validationErrors">The <c>validation_errors</c>, empty when none.</param>
    public FireflyApiException(HttpStatusCode status, string? errorCode, string? message, string? requestId, string? body,
        IReadOnlyList<FireflyValidationError> validationErrors)
        : base(status, errorCode, message, requestId, body) => ValidationErrors = validationErrors;

    /// <summary>For <see cref="FireflyJobFailedException"/>: no error status was received.</summary>
    /// <param name="errorCode">The <c>error_code</c>.</param>
    /// <param name="message">The <c>message</c>.</param>
    /// <param name="requestId">The <c>x-request-id</c>.</param>
    /// <param name="body">The raw body.</param>
    /// <param name="validationErrors">The <c>validation_errors</c>, empty when none.</param>
    protected FireflyApiException(string? errorCode, string? message, string? requestId, string? body, IReadOnlyList<FireflyValidationError> validationErrors)
        : base(null, errorCode, message, requestId, body) => ValidationErrors = validationErrors;

    /// <summary>The <c>validation_errors</c>, empty when none.</summary>
    public IReadOnlyList<FireflyValidationError> ValidationErrors { get; }

    internal static IReadOnlyList<FireflyValidationError> ParseValidation(JsonElement? json)
    {
        if (json is not { ValueKind: JsonValueKind.Object } j || !j.TryGetProperty("validation_errors", out var v) || v.ValueKind != JsonValueKind.Array) return [];
        return [.. v.EnumerateArray().Select(e => new FireflyValidationError(
            e.TryGetProperty("loc", out var loc) && loc.ValueKind == JsonValueKind.Array
                ? [.. loc.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText())] : [],
            e.Str("msg") ?? "", e.Str("type") ?? ""))];
    }
}

/// <summary>
/// An async job ended without success: <see cref="JobStatus"/> is <see cref="FireflyJobState.Failed"/>,
/// <see cref="FireflyJobState.Canceled"/> or <see cref="FireflyJobState.Timeout"/>. The status request itself succeeded, so
/// <see cref="HttpRequestException.StatusCode"/> is null; <see cref="KilnApiException.ErrorCode"/> is the job's <c>error_code</c>
/// (<c>job_canceled</c> for a canceled job).
/// </summary>
public sealed class FireflyJobFailedException : FireflyApiException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="status">The final job status.</param>
    /// <param name="errorCode">The job's <c>error_code</c>.</param>
    /// <param name="requestId">The <c>x-request-id</c> of the last status answer.</param>
    /// <param name="body">The raw status body.</param>
    /// <param name="validationErrors">The job's <c>validation_errors</c>.</param>
    public FireflyJobFailedException(FireflyJobStatus status, string errorCode, string? requestId, string? body, IReadOnlyList<FireflyValidationError> validationErrors)
        : base(errorCode, (status ?? throw new ArgumentNullException(nameof(status))).Message ?? $"Job {status.JobId} ended as {status.Status}.", requestId, body, validationErrors)
    {
        JobId = status.JobId;
        JobStatus = status.Status;
        Status = status;
    }

    /// <summary>The job.</summary>
    public string JobId { get; }

    /// <summary>How it ended.</summary>
    public FireflyJobState JobStatus { get; }

    /// <summary>The final status as answered.</summary>
    public FireflyJobStatus Status { get; }
}

/// <summary>
/// No token could be obtained, so the request was not sent. <see cref="HttpRequestException.StatusCode"/> is the token
/// endpoint's status (400 or 401 for <c>invalid_client</c>, 429, 5xx), or null when IMS could not be reached;
/// <see cref="KilnApiException.ErrorCode"/> is the OAuth <c>error</c>.
/// </summary>
public sealed class KilnAuthenticationException : KilnApiException
{
    /// <summary>Creates the exception from the failed token result.</summary>
    /// <param name="result">The failure.</param>
    public KilnAuthenticationException(TokenResult result)
        : base(StatusOf(result), (result ?? throw new ArgumentNullException(nameof(result))).Error,
            "Could not obtain an access token: " + result.ErrorDescription, result.RequestId, null)
    {
        Result = result;
        RetryAfter = result.RetryAfter;
    }

    /// <summary>The token failure.</summary>
    public TokenResult Result { get; }

    /// <summary>True when trying again later may work (IMS unreachable, 429, 5xx); false for a rejected credential.</summary>
    public bool IsTransient => Result.StatusCode is 0 or 408 or 429 or >= 500;

    private static HttpStatusCode? StatusOf(TokenResult r) => r.StatusCode > 0 ? (HttpStatusCode)r.StatusCode : null;
}

/// <summary>
/// A request or a wait ran past its limit: <see cref="KilnClientOptions.RequestTimeout"/>,
/// <see cref="KilnClientOptions.TotalRequestTimeout"/>, or the timeout of <see cref="FireflyClient.WaitForJobAsync"/>.
/// A <see cref="TimeoutException"/>, so callers that catch that keep working.
/// </summary>
public sealed class KilnTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What timed out.</param>
    /// <param name="innerException">The cause, if any.</param>
    public KilnTimeoutException(string message, Exception? innerException = null) : base(message, innerException) { }
}
