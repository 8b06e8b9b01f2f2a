using Kiln.Server.Core;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Server.Storage;

/// <summary>
/// Serves the local store's pre-signed URLs: <c>GET /files/{**key}?expires=&amp;sig=</c>. Anything wrong
/// (tampered, expired, traversing) gets the same 403 body, which reveals nothing.
/// </summary>
public static class FilesApi
{
    public static IEndpointRouteBuilder MapFiles(this IEndpointRouteBuilder app)
    {
        app.MapGet("/files/{**key}", Download).ExcludeFromDescription();
        return app;
    }

    public static Results<FileStreamHttpResult, JsonHttpResult<ApiError>> Denied() =>
        TypedResults.Json(new ApiError("access_denied", "Access denied"), statusCode: 403);

    /// <summary>
    /// Kestrel normalises dot segments before routing, so a traversal would otherwise surface as a 404 elsewhere.
    /// Looks at the raw request target of everything under /files and refuses dot, encoded and backslash tricks.
    /// </summary>
    public static IApplicationBuilder UseFilesGuard(this IApplicationBuilder app) => app.Use(async (ctx, next) =>
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        var rawPath = raw.Split('?', 2)[0];
        var underFiles = rawPath.StartsWith("/files/", StringComparison.OrdinalIgnoreCase) || ctx.Request.Path.StartsWithSegments("/files");
        if (underFiles)
        {
            // A stored file is never a page: no sniffing it into HTML, nothing it could load or run (docs/security.md).
            ctx.Response.Headers.XContentTypeOptions = "nosniff";
            ctx.Response.Headers.ContentSecurityPolicy = "default-src 'none'";
        }
        if (underFiles && (rawPath.Contains("..", StringComparison.Ordinal) || rawPath.Contains("%2e", StringComparison.OrdinalIgnoreCase)
            || rawPath.Contains("%2f", StringComparison.OrdinalIgnoreCase) || rawPath.Contains("%5c", StringComparison.OrdinalIgnoreCase)
            || rawPath.Contains('\\') || rawPath.Contains("//", StringComparison.Ordinal) || !rawPath.StartsWith("/files/", StringComparison.OrdinalIgnoreCase)))
        {
            await Denied().ExecuteAsync(ctx);
            return;
        }
        await next(ctx);
    });

    private static async Task<Results<FileStreamHttpResult, JsonHttpResult<ApiError>>> Download(
        string key, string? expires, string? sig, UrlSigner signer, IBlobStore store, CancellationToken ct)
    {
        if (!signer.Verify(key, expires, sig)) return Denied();
        var stream = await store.OpenReadAsync(key, ct);
        if (stream is null) return Denied();
        var type = key.EndsWith(".png", StringComparison.Ordinal) ? "image/png" : key.EndsWith(".webp", StringComparison.Ordinal) ? "image/webp" : "image/jpeg";
        return TypedResults.Stream(stream, type);
    }
}
