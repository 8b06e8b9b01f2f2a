using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Server.Core;

/// <summary>The adobe.io gateway error body, <c>{"error_code","message"}</c>, used by Console and Firefly.</summary>
public sealed record ApiError(
    [property: System.Text.Json.Serialization.JsonPropertyName("error_code")] string ErrorCode,
    [property: System.Text.Json.Serialization.JsonPropertyName("message")] string Message);

/// <summary>The catalogue of gateway and Console errors, so every endpoint speaks the same codes.</summary>
public static class ApiErrors
{
    public static JsonHttpResult<ApiError> Error(int status, string code, string message) =>
        TypedResults.Json(new ApiError(code, message), statusCode: status);

    public static JsonHttpResult<ApiError> TokenInvalid() => Error(401, "401013", "Oauth token is not valid");
    public static JsonHttpResult<ApiError> ApiKeyMissing() => Error(403, "403000", "Api Key is required");
    public static JsonHttpResult<ApiError> ApiKeyInvalid() => Error(403, "403003", "Api Key is invalid");
    public static JsonHttpResult<ApiError> NotFound(string message = "Not Found") => Error(404, "not_found", message);
    public static JsonHttpResult<ApiError> Forbidden(string message) => Error(403, "access_error", message);
    public static JsonHttpResult<ApiError> BadRequest(string message) => Error(400, "bad_request", message);
    public static JsonHttpResult<ApiError> Conflict(string code, string message) => Error(409, code, message);
}
