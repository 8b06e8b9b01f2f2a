using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Server.Firefly;

/// <summary>One pydantic-v1-style validation error (docs/firefly.md#errors): <c>{loc, msg, type, ctx?}</c>.</summary>
public sealed record ValidationError(
    [property: JsonPropertyName("loc")] IReadOnlyList<object> Loc,
    [property: JsonPropertyName("msg")] string Msg,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("ctx"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, object>? Ctx = null);

/// <summary>The Firefly <c>ApiError</c>: <c>{error_code, message, validation_errors?}</c>.</summary>
public sealed record FireflyError(
    [property: JsonPropertyName("error_code")] string ErrorCode,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("validation_errors"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ValidationError>? ValidationErrors = null);

/// <summary>A request that cannot be served, raised anywhere below a handler and turned into an ApiError (or a failed job).</summary>
public sealed class FireflyException(int status, string code, string message, IReadOnlyList<ValidationError>? errors = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public IReadOnlyList<ValidationError>? Errors { get; } = errors;
    /// <summary>Seconds for a Retry-After header (429/503).</summary>
    public int? RetryAfter { get; init; }

    public static FireflyException Validation(IReadOnlyList<ValidationError> errors) =>
        new(422, "validation_error", errors.Count == 1 ? errors[0].Msg : "Request validation failed", errors);

    public static FireflyException Invalid(object[] loc, string msg, string type = "value_error") =>
        Validation([new ValidationError(loc, msg, type)]);

    public FireflyError Body => new(Code, Message, Errors);
}

/// <summary>
/// A request refused by a rule, returned as a value (an exception is for outages and bugs): the status, the
/// Firefly error code and message, and the seconds for a Retry-After header.
/// </summary>
public sealed record Refusal(int Status, string Code, string Message, int? RetryAfter = null);

public static class FireflyErrors
{
    public static JsonHttpResult<FireflyError> Result(Refusal r, HttpContext ctx)
    {
        if (r.RetryAfter is { } s) ctx.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Error(r.Status, r.Code, r.Message);
    }

    public static JsonHttpResult<FireflyError> Result(FireflyException e, HttpContext ctx)
    {
        if (e.RetryAfter is { } s) ctx.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Json(e.Body, statusCode: e.Status);
    }

    public static JsonHttpResult<FireflyError> Error(int status, string code, string message) =>
        TypedResults.Json(new FireflyError(code, message), statusCode: status);
}
