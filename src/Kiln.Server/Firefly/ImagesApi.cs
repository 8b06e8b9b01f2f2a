using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Generation;
using Kiln.Server.Ims;
using Kiln.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>What the image handlers need, bound in one go.</summary>
public sealed record ImageServices(
    KilnDb Db, ImageRunner Runner, SourceResolver Sources, IBlobStore Store, RenderPool Pool, JobSignal Signal,
    PublicUrl PublicUrl, TimeProvider Clock, IOptions<StorageOptions> Storage, IOptions<FireflyOptions> Options);

/// <summary>The image operations of §3.2, sync (<c>/v3/images/{op}</c>) and async (<c>/v3/images/{op}-async</c>).</summary>
public static class ImagesApi
{
    public static RouteGroupBuilder MapImages(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v3/images").RequireIms("firefly_api").AddEndpointFilter<OrgRateLimitFilter>().WithTags("Firefly")
            .WithErrorDialect(ErrorDialect.Firefly);
        foreach (var (path, op) in Operations.All)
        {
            group.MapPost("/" + path, (HttpContext ctx, ImsCaller caller, [AsParameters] ImageServices s) => SyncAsync(op, ctx, caller, s));
            group.MapPost("/" + path + "-async", (HttpContext ctx, ImsCaller caller, [AsParameters] ImageServices s) => SubmitAsync(op, ctx, caller, s))
                .WithErrorDialect(ErrorDialect.FireflyJobs);
        }
        return group;
    }

    private static async Task<Results<Ok<ImagesResponse>, JsonHttpResult<FireflyError>>> SyncAsync(
        ImageOperation op, HttpContext ctx, ImsCaller caller, ImageServices s)
    {
        var ct = ctx.RequestAborted;
        try
        {
            var root = await RequestBody.ReadAsync(ctx, isAsync: false, null, ct);
            var spec = ImageRequestParser.Parse(root, op, isAsync: false, null);
            spec = await s.Sources.ResolveAsync(spec, caller.OrgId, s.Db, ct);
            if (!s.Pool.TryAdmit())
                throw new FireflyException(429, "rate_limited", "Kiln is busy rendering; retry later") { RetryAfter = 2 };
            RunResult result;
            List<StoredBlob> blobs;
            try
            {
                (result, blobs) = await s.Runner.RunAsync(spec, caller.OrgId, null, ct);
            }
            finally
            {
                s.Pool.Leave();
            }
            s.Db.StoredBlobs.AddRange(blobs);
            await s.Db.SaveChangesAsync(ct);
            return TypedResults.Ok(await result.AsResponseAsync(s.Store, s.Storage.Value.UrlLifetime, ct));
        }
        catch (FireflyException e)
        {
            return FireflyErrors.Result(e, ctx);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; nobody reads this answer, but it keeps the log free of false 500s.
            return FireflyErrors.Error(499, "cancelled", "The client closed the request");
        }
    }

    private static async Task<Results<Accepted<AsyncAccepted>, JsonHttpResult<FireflyError>>> SubmitAsync(
        ImageOperation op, HttpContext ctx, ImsCaller caller, ImageServices s)
    {
        var ct = ctx.RequestAborted;
        try
        {
            var root = await RequestBody.ReadAsync(ctx, isAsync: true, (bytes, part) => StoreFileAsync(bytes, part, caller, s, ct), ct);
            var spec = ImageRequestParser.Parse(root, op, isAsync: true, ctx.Request.Headers["x-model-version"].ToString());
            spec = await s.Sources.ResolveAsync(spec, caller.OrgId, s.Db, ct);
            var now = s.Clock.GetUtcNow();
            var job = new Job
            {
                Id = JobStates.NewId(), OrgId = caller.OrgId, ClientId = caller.ClientId, Operation = Operations.PathOf(op),
                Request = System.Text.Json.JsonSerializer.Serialize(spec, System.Text.Json.JsonSerializerOptions.Web),
                Status = JobStates.Pending, CreatedAt = now, UpdatedAt = now,
            };
            s.Db.Jobs.Add(job);
            await s.Db.SaveChangesAsync(CancellationToken.None); // committed before the 202
            s.Signal.Notify();
            var accepted = Links(job.Id, s.PublicUrl, ctx);
            return TypedResults.Accepted(accepted.StatusUrl, accepted);
        }
        catch (FireflyException e)
        {
            return FireflyErrors.Result(e, ctx);
        }
    }

    internal static AsyncAccepted Links(string jobId, PublicUrl url, HttpContext ctx)
    {
        var escaped = Uri.EscapeDataString(jobId).Replace("%3A", ":", StringComparison.Ordinal);
        var body = new AsyncAccepted(jobId, url.For("/v3/status/" + escaped), url.For("/v3/cancel/" + escaped));
        ctx.Response.Headers.Link = $"<{body.StatusUrl}>; rel=\"status\", <{body.CancelUrl}>; rel=\"cancel\"";
        return body;
    }

    private static async Task<string> StoreFileAsync(byte[] bytes, string part, ImsCaller caller, ImageServices s, CancellationToken ct)
    {
        if (bytes.Length > s.Options.Value.MaxUploadBytes) throw RequestBody.TooLarge(s.Options.Value.MaxUploadBytes);
        var (type, _, _) = ImageInspector.Check(bytes, s.Options.Value.MaxSourcePixels, ["body", part]);
        return await Uploads.StoreAsync(bytes, type, caller.OrgId, s.Db, s.Store, s.Clock, s.Options.Value.UploadLifetime, ct);
    }
}
