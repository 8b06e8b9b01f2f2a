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

/// <summary>
/// A request refused by a rule, returned as a value (an exception is for outages and bugs): the status, the
/// Firefly error code and message, the seconds for a Retry-After header, for a 422 every validation error and, for a
/// 429, the level whose limit was reached (<c>org</c> or <c>account</c>) for <c>x-access-rate-limit-level</c>.
/// </summary>
public sealed record Refusal(int Status, string Code, string Message, int? RetryAfter = null, IReadOnlyList<ValidationError>? Errors = null,
    string? RateLimitLevel = null)
{
    /// <summary>A 422 listing every problem; its message is the only error's, or a summary when there are several.</summary>
    public static Refusal Validation(IReadOnlyList<ValidationError> errors) =>
        new(422, "validation_error", errors.Count == 1 ? errors[0].Msg : "Request validation failed", Errors: errors);

    public static Refusal Invalid(object[] loc, string msg, string type = "value_error") =>
        Validation([new ValidationError(loc, msg, type)]);

    public FireflyError Body => new(Code, Message, Errors);
}

/// <summary>
/// What a Firefly check answers: a value, or the <see cref="Refusal"/> that refused it (<see cref="Core.Result{T, TError}"/>,
/// as <see cref="Core.OpResult{T}"/>). <c>if (result.Failed(out var refusal, out var value)) return FireflyErrors.Result(refusal, ctx);</c>
/// </summary>
public sealed class Checked<T> : Core.Result<T, Refusal> where T : notnull
{
    public Checked(T value) : base(value) { }

    public Checked(Refusal refusal) : base(refusal) { }

    public static implicit operator Checked<T>(T value) => new(value);

    public static implicit operator Checked<T>(Refusal refusal) => new(refusal);
}

public static class FireflyErrors
{
    /// <summary>The header of a 429 that names the level whose limit was reached (docs/firefly.md#quotas-and-usage).</summary>
    public const string RateLimitLevelHeader = "x-access-rate-limit-level";

    public static JsonHttpResult<FireflyError> Result(Refusal r, HttpContext ctx)
    {
        if (r.RetryAfter is { } s) ctx.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (r.RateLimitLevel is { } level) ctx.Response.Headers[RateLimitLevelHeader] = level;
        return TypedResults.Json(r.Body, statusCode: r.Status);
    }

    public static JsonHttpResult<FireflyError> Error(int status, string code, string message) =>
        TypedResults.Json(new FireflyError(code, message), statusCode: status);
}
