using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Kiln.Server.Firefly;

/// <summary>
/// <c>POST /v2/storage/image</c> (docs/firefly.md#uploads): a raw JPEG, PNG or WebP body becomes an upload id usable as
/// <c>source.uploadId</c> by the same org for <see cref="FireflyOptions.UploadLifetime"/>. The body is checked from its
/// first bytes and streamed to the store (<see cref="Uploads"/>); at most <see cref="FireflyOptions.MaxConcurrentUploads"/> at once.
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
        HttpContext ctx, ImsCaller caller, KilnDb db, Uploads uploads, UploadGate gate, IOptions<FireflyOptions> options)
    {
        var o = options.Value;
        var type = MediaTypeHeaderValue.TryParse(ctx.Request.ContentType, out var media) ? media.MediaType.Value?.ToLowerInvariant() : null;
        if (type is null || !Types.Contains(type))
            return FireflyErrors.Error(415, "invalid_content_type", "Content-Type must be image/jpeg, image/png or image/webp");
        if (ctx.Request.ContentLength > o.MaxUploadBytes) return FireflyErrors.Result(RequestBody.TooLarge(o.MaxUploadBytes), ctx);
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = o.MaxUploadBytes + 1;

        using var slot = gate.TryEnter();
        if (slot is null) return FireflyErrors.Result(UploadGate.Busy, ctx);
        var stored = await uploads.StoreAsync(ctx.Request.Body, type, caller.OrgId, db, (fault, message) => fault switch
        {
            UploadFault.TooLarge => RequestBody.TooLarge(o.MaxUploadBytes),
            UploadFault.NotAnImage => new Refusal(400, "bad_request", $"The body is not a valid {type} image"),
            _ => new Refusal(400, "bad_request", message),
        }, ctx.RequestAborted);
        if (stored.Failed(out var refusal, out var id)) return FireflyErrors.Result(refusal, ctx);
        return TypedResults.Ok(new UploadResponse([new UploadedImage(id)]));
    }
}
