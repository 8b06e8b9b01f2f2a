using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Kiln.Server.Storage;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Kiln.Server.Firefly;

/// <summary>
/// <c>POST /v2/storage/image</c> (docs/firefly.md#uploads): a raw JPEG, PNG or WebP body becomes an upload id usable as
/// <c>source.uploadId</c> by the same org for <see cref="FireflyOptions.UploadLifetime"/>.
/// </summary>
public static class UploadApi
{
    private static readonly string[] Types = ["image/jpeg", "image/png", "image/webp"];

    public static RouteGroupBuilder MapUploads(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v2/storage").RequireIms("firefly_api").WithTags("Firefly").WithErrorDialect(ErrorDialect.Firefly);
        group.MapPost("/image", UploadAsync);
        return group;
    }

    private static async Task<Results<Ok<UploadResponse>, JsonHttpResult<FireflyError>>> UploadAsync(
        HttpContext ctx, ImsCaller caller, KilnDb db, IBlobStore store, TimeProvider clock, IOptions<FireflyOptions> options)
    {
        var o = options.Value;
        var ct = ctx.RequestAborted;
        var type = MediaTypeHeaderValue.TryParse(ctx.Request.ContentType, out var media) ? media.MediaType.Value?.ToLowerInvariant() : null;
        if (type is null || !Types.Contains(type))
            return FireflyErrors.Error(415, "invalid_content_type", "Content-Type must be image/jpeg, image/png or image/webp");
        if (ctx.Request.ContentLength > o.MaxUploadBytes) return Error(RequestBody.TooLarge(o.MaxUploadBytes), ctx);
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = o.MaxUploadBytes + 1;

        byte[] bytes;
        try
        {
            bytes = await SourceFetcher.ReadCappedAsync(ctx.Request.Body, o.MaxUploadBytes, ["body"], ct);
        }
        catch (FireflyException)
        {
            return Error(RequestBody.TooLarge(o.MaxUploadBytes), ctx);
        }
        catch (BadHttpRequestException)
        {
            return FireflyErrors.Error(400, "bad_request", "The request body could not be read");
        }
        if (bytes.Length == 0) return FireflyErrors.Error(400, "bad_request", "The request body is empty");
        if (ImageInspector.Sniff(bytes) != type)
            return FireflyErrors.Error(400, "bad_request", $"The body is not a valid {type} image");
        try
        {
            ImageInspector.Check(bytes, o.MaxSourcePixels, ["body"]);
        }
        catch (FireflyException e)
        {
            return FireflyErrors.Error(400, "bad_request", e.Message);
        }
        var id = await Uploads.StoreAsync(bytes, type, caller.OrgId, db, store, clock, o.UploadLifetime, ct);
        return TypedResults.Ok(new UploadResponse([new UploadedImage(id)]));
    }

    private static JsonHttpResult<FireflyError> Error(FireflyException e, HttpContext ctx) => FireflyErrors.Result(e, ctx);
}
