using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Kiln.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>
/// <c>GET /v3/status/{jobId}</c> and <c>PUT /v3/cancel/{jobId}</c> (docs/firefly.md#endpoints, docs/firefly.md#async-jobs). The job id is
/// accepted raw or with <c>%3A</c>. Jobs belong to the caller's org; another org's job is <c>unknown_job_id</c>.
/// Status polls do not count toward the per-org rate limit.
/// </summary>
public static class JobsApi
{
    public static RouteGroupBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v3").RequireIms("firefly_api").WithTags("Firefly").WithErrorDialect(ErrorDialect.FireflyJobs);
        group.MapGet("/status/{jobId}", StatusAsync);
        group.MapPut("/cancel/{jobId}", CancelAsync);
        return group;
    }

    private static string Normalize(string jobId) => Uri.UnescapeDataString(jobId).Trim();

    private static JsonHttpResult<FireflyError> Unknown() => FireflyErrors.Error(404, "unknown_job_id", "Unknown job id");

    private static async Task<Results<Ok<JobStatus>, JsonHttpResult<FireflyError>>> StatusAsync(
        string jobId, ImsCaller caller, KilnDb db, JobStore jobs, IBlobStore store, IOptions<StorageOptions> storage, CancellationToken ct)
    {
        var job = await jobs.FindAsync(db, Normalize(jobId), caller.OrgId, ct);
        if (job is null) return Unknown();
        return TypedResults.Ok(await job.AsStatusAsync(store, storage.Value.UrlLifetime, ct));
    }

    private static async Task<Results<Ok<JobStatus>, JsonHttpResult<FireflyError>>> CancelAsync(
        string jobId, ImsCaller caller, KilnDb db, JobStore jobs, IBlobStore store, IOptions<StorageOptions> storage, JobCancellations running,
        ImageRunner runner, CancellationToken ct)
    {
        var id = Normalize(jobId);
        var (job, canceled) = await jobs.CancelAsync(db, id, caller.OrgId, ct);
        if (job is null) return Unknown();
        if (!canceled)
        {
            return job.Status == JobStates.Canceled
                ? FireflyErrors.Error(409, "job_already_canceled", "The job was already canceled")
                : FireflyErrors.Error(409, "job_completed", "The job has already finished");
        }
        running.Cancel(id); // this node stops it at once; others hear it on the change bus, or at their next heartbeat
        await runner.CancelOnEngineAsync(job); // an upstream job is canceled upstream too (docs/upstream.md#what-is-forwarded)
        return TypedResults.Ok(await job.AsStatusAsync(store, storage.Value.UrlLifetime, ct));
    }
}
