using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Server.Core;

/// <summary>The RFC 6749 error body that every /ims endpoint answers with.</summary>
public sealed record OAuthError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string? ErrorDescription);

/// <summary>Writes OAuth errors the way Adobe IMS does: the body, the status, and no caching (docs/identity.md).</summary>
public static class OAuthErrors
{
    public static JsonHttpResult<OAuthError> Error(HttpContext ctx, string error, string description, int status = 400)
    {
        NoStore(ctx);
        return TypedResults.Json(new OAuthError(error, description), statusCode: status);
    }

    /// <summary>429 with Retry-After, for the brute-force windows and other per-caller limits on /ims.</summary>
    public static JsonHttpResult<OAuthError> TooMany(HttpContext ctx, TimeSpan wait, string description = "too many failed attempts; retry later")
    {
        ctx.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return Error(ctx, "too_many_requests", description, 429);
    }

    public static void NoStore(HttpContext ctx)
    {
        ctx.Response.Headers.CacheControl = "no-store";
        ctx.Response.Headers.Pragma = "no-cache";
    }
}
