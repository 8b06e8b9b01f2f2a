using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Generation;
using Kiln.Server.Ims;
using Kiln.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>
/// The image operations of docs/firefly.md#endpoints, sync (<c>/v3/images/{op}</c>) and async (<c>/v3/images/{op}-async</c>). The handlers
/// read and validate the body; everything after that is the <see cref="ImageRunner"/>'s.
/// </summary>
public static class ImagesApi
{
    public static RouteGroupBuilder MapImages(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v3/images").RequireIms("firefly_api").AddEndpointFilter<OrgRateLimitFilter>().WithTags("Firefly")
            .WithErrorDialect(ErrorDialect.Firefly);
        foreach (var (path, op) in Operations.All)
        {
            group.MapPost("/" + path, (HttpContext ctx, ImsCaller caller, KilnDb db, ImageRunner runner, Metering metering, IBlobStore store,
                IOptions<StorageOptions> storage, KilnMetrics metrics, TimeProvider clock) => MeasuredAsync(op, "sync", metrics, clock, runner, caller, db, ctx,
                    engine => SyncAsync(op, engine, ctx, caller, db, runner, metering, store, storage.Value)));
            group.MapPost("/" + path + "-async", (HttpContext ctx, ImsCaller caller, KilnDb db, ImageRunner runner, Metering metering, Uploads uploads,
                PublicUrl url, IOptions<FireflyOptions> options, KilnMetrics metrics, TimeProvider clock) => MeasuredAsync(op, "async", metrics, clock, runner, caller, db, ctx,
                    engine => SubmitAsync(op, engine, ctx, caller, db, runner, metering, url, new FileParts(caller, db, uploads, options.Value))))
                .WithErrorDialect(ErrorDialect.FireflyJobs);
        }
        return group;
    }

    /// <summary>
    /// Chooses the caller's engine (<see cref="ImageRunner.EngineForAsync"/>) and records the image request in
    /// <c>kiln.images.request.duration</c> (docs/operations.md#metrics) with that engine and its status: the answer's,
    /// 503 for an outage, 500 for a bug, timed on <paramref name="clock"/>.
    /// </summary>
    private static async Task<TResult> MeasuredAsync<TResult>(ImageOperation op, string mode, KilnMetrics metrics, TimeProvider clock, ImageRunner runner,
        ImsCaller caller, KilnDb db, HttpContext ctx, Func<EngineChoice, Task<TResult>> run)
        where TResult : INestedHttpResult
    {
        var started = clock.GetTimestamp();
        var status = 500;
        var engineName = "unknown";
        try
        {
            var engine = await runner.EngineForAsync(caller, db, ctx.RequestAborted);
            engineName = engine.Name;
            var result = await run(engine);
            status = (result.Result as IStatusCodeHttpResult)?.StatusCode ?? 200;
            return result;
        }
        catch (Exception e) when (Outages.IsOutage(e))
        {
            status = 503;
            throw;
        }
        finally
        {
            metrics.ImageRequest(Operations.PathOf(op), mode, status, engineName, clock.GetElapsedTime(started));
        }
    }

    private static async Task<Results<Ok<ImagesResponse>, JsonHttpResult<FireflyError>>> SyncAsync(
        ImageOperation op, EngineChoice engine, HttpContext ctx, ImsCaller caller, KilnDb db, ImageRunner runner, Metering metering, IBlobStore store,
        StorageOptions storage)
    {
        var ct = ctx.RequestAborted;
        try
        {
            if ((await RequestBody.ReadAsync(ctx, isAsync: false, null, ct)).Failed(out var refusal, out var root)) return FireflyErrors.Result(refusal, ctx);
            if (ImageRequestParser.Parse(root, op, isAsync: false, null).Failed(out refusal, out var spec)) return FireflyErrors.Result(refusal, ctx);
            var run = await runner.RunAsync(spec, engine, await metering.ForAsync(caller, op, engine, ct), db, ct);
            if (run.IsRefused) return FireflyErrors.Result(run.Refusal, ctx);
            return TypedResults.Ok(await run.Result.AsResponseAsync(store, storage.UrlLifetime, ct));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; nobody reads this answer, but it keeps the log free of false 500s.
            return FireflyErrors.Error(499, "cancelled", "The client closed the request");
        }
    }

    private static async Task<Results<Accepted<AsyncAccepted>, JsonHttpResult<FireflyError>>> SubmitAsync(
        ImageOperation op, EngineChoice engine, HttpContext ctx, ImsCaller caller, KilnDb db, ImageRunner runner, Metering metering, PublicUrl url,
        FileParts files)
    {
        var ct = ctx.RequestAborted;
        if ((await RequestBody.ReadAsync(ctx, isAsync: true, (file, part) => files.StoreAsync(file, part, ct), ct)).Failed(out var refusal, out var root))
            return FireflyErrors.Result(refusal, ctx);
        if (ImageRequestParser.Parse(root, op, isAsync: true, ctx.Request.Headers["x-model-version"].ToString()).Failed(out refusal, out var spec))
            return FireflyErrors.Result(refusal, ctx);
        var who = await metering.ForAsync(caller, op, engine, ct);
        if ((await runner.SubmitAsync(spec, engine, who, caller.ClientId, db, ct)).Failed(out refusal, out var job)) return FireflyErrors.Result(refusal, ctx);
        var accepted = Links(job.Id, url, ctx);
        return TypedResults.Accepted(accepted.StatusUrl, accepted);
    }

    internal static AsyncAccepted Links(string jobId, PublicUrl url, HttpContext ctx)
    {
        var escaped = Uri.EscapeDataString(jobId).Replace("%3A", ":", StringComparison.Ordinal);
        var body = new AsyncAccepted(jobId, url.For("/v3/status/" + escaped), url.For("/v3/cancel/" + escaped));
        ctx.Response.Headers.Link = $"<{body.StatusUrl}>; rel=\"status\", <{body.CancelUrl}>; rel=\"cancel\"";
        return body;
    }

    /// <summary>
    /// Stores the <c>files</c> parts of a multipart async request as uploads of the caller's org, with the upload
    /// endpoint's checks (magic bytes and header first, then streamed to the store); a failure is a 422 at the part.
    /// </summary>
    private sealed record FileParts(ImsCaller Caller, KilnDb Db, Uploads Uploads, FireflyOptions Options)
    {
        public async Task<Checked<string>> StoreAsync(Stream file, string part, CancellationToken ct)
        {
            if (file.Length > Options.MaxUploadBytes) return RequestBody.TooLarge(Options.MaxUploadBytes);
            return await Uploads.StoreAsync(file, null, Caller.OrgId, Db, (fault, message) => fault switch
            {
                UploadFault.TooLarge => RequestBody.TooLarge(Options.MaxUploadBytes),
                UploadFault.Empty or UploadFault.NotAnImage => Refusal.Invalid(["body", part], ImageInspector.NotAnImage),
                _ => Refusal.Invalid(["body", part], message),
            }, ct);
        }
    }
}
