using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Generation;
using Kiln.Server.Quotas;
using Kiln.Server.Storage;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

public sealed record StoredOutput(int Seed, string Key);

/// <summary>A finished request as stored: blob keys, not URLs (URLs are signed when read).</summary>
public sealed record RunResult(int Width, int Height, string? ContentClass, List<StoredOutput> Outputs)
{
    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);
    public static RunResult FromJson(string json) => JsonSerializer.Deserialize<RunResult>(json, JsonSerializerOptions.Web)!;
}

/// <summary>A sync run: the stored result, or the refusal that kept it from rendering.</summary>
public sealed class SyncRun
{
    private SyncRun(RunResult? result, Refusal? refusal) => (Result, Refusal) = (result, refusal);

    public RunResult? Result { get; }
    public Refusal? Refusal { get; }

    [MemberNotNullWhen(true, nameof(Refusal))]
    [MemberNotNullWhen(false, nameof(Result))]
    public bool IsRefused => Refusal is not null;

    public static SyncRun Done(RunResult result) => new(result, null);
    public static SyncRun Refused(Refusal refusal) => new(null, refusal);
}

/// <summary>
/// The one way an image request goes: its sources are resolved (upload ids, Kiln's own URLs, the host allow-list),
/// a sync request is admitted to the <see cref="RenderPool"/>, the inputs are loaded, every variation is rendered in the
/// pool, and the JPEGs are stored together with their <see cref="StoredBlob"/> rows. Before any rendering the request
/// reserves its images with the <see cref="QuotaLedger"/> (docs/firefly.md#quotas-and-usage); a sync request that then
/// fails gives them back, and a job's are given back by <see cref="JobStore"/> when it fails or is canceled. The sync handler calls
/// <see cref="RunAsync"/>; the async submit calls <see cref="SubmitAsync"/> (resolve, then a pending job) and the
/// <see cref="JobWorker"/> calls <see cref="RunJobAsync"/> for each job it claims.
/// </summary>
public sealed partial class ImageRunner(
    IImageGenerator generator, RenderPool pool, SourceResolver sources, IBlobStore store, JobStore jobs, JobSignal signal,
    QuotaLedger quotas, IServiceScopeFactory scopes, TimeProvider clock, IOptions<FireflyOptions> options)
{
    /// <summary>What a sync request gets when the pool's queue is full.</summary>
    public static readonly Refusal Busy = new(429, "rate_limited", "Kiln is busy rendering; retry later", RetryAfter: 2);

    /// <summary>Runs a sync request: resolve, reserve its images, admit (or refuse with <see cref="Busy"/>), render, store files and rows.</summary>
    public async Task<SyncRun> RunAsync(ImageSpec spec, Metered who, KilnDb db, CancellationToken ct)
    {
        if ((await sources.ResolveAsync(spec, who.OrgId, db, ct)).Failed(out var refusal, out var resolved)) return SyncRun.Refused(refusal);
        spec = resolved;
        var quota = await quotas.ReserveAsync(db, who, spec.Seeds.Count, ct);
        if (quota.Refused is { } q) return SyncRun.Refused(Metering.Refused(q, spec.Seeds.Count));
        var kept = false;
        try
        {
            if (!pool.TryAdmit()) return SyncRun.Refused(Busy);
            Checked<Rendered> outcome;
            try
            {
                outcome = await RenderAsync(spec, who.OrgId, null, null, ct);
            }
            finally
            {
                pool.Leave();
            }
            if (outcome.Failed(out refusal, out var rendered)) return SyncRun.Refused(refusal);
            db.StoredBlobs.AddRange(rendered.Rows);
            await db.SaveChangesAsync(ct);
            kept = true;
            return SyncRun.Done(rendered.Result);
        }
        finally
        {
            // Refused, failed or abandoned after the reservation: the images were not delivered.
            if (!kept) await quotas.ReleaseAsync(quota.Granted!);
        }
    }

    /// <summary>
    /// Accepts an async request: resolves its sources now (the job stores them resolved), then reserves its images and
    /// inserts the job in one transaction that holds the org's row, so a 202 always has both.
    /// </summary>
    public async Task<Checked<Job>> SubmitAsync(ImageSpec spec, Metered who, string clientId, KilnDb db, CancellationToken ct)
    {
        if ((await sources.ResolveAsync(spec, who.OrgId, db, ct)).Failed(out var refusal, out var resolved)) return refusal;
        spec = resolved;
        Job job;
        await using (var tx = await db.LockOrgAsync(who.OrgId, ct))
        {
            var quota = await quotas.ReserveLockedAsync(db, who, spec.Seeds.Count, ct);
            if (quota.Refused is { } q)
            {
                await tx.CommitAsync(ct); // the refusal is counted in usage
                return Metering.Refused(q, spec.Seeds.Count);
            }
            job = await jobs.AddAsync(db, spec, who.OrgId, clientId);
            await quotas.KeepAsync(db, quota.Granted!, job.Id);
            await tx.CommitAsync(CancellationToken.None);
        }
        signal.Notify();
        return job;
    }

    /// <summary>
    /// Runs a claimed job. Output keys are fixed per job, so a retry overwrites an earlier attempt's files. The result
    /// and the output rows are written in one transaction, only while this node still holds the job: false when it
    /// no longer does (canceled or taken over), and the result is discarded. A refusal (a bad input found while
    /// loading or rendering) is the job's failure.
    /// </summary>
    public async Task<Checked<bool>> RunJobAsync(Job job, IProgress<int> progress, CancellationToken ct)
    {
        if ((await RenderAsync(ImageSpec.FromJson(job.Request), job.OrgId, progress, OutputId(job.Id), ct)).Failed(out var refusal, out var rendered))
            return refusal;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
        if (!await jobs.SucceedAsync(db, job.Id, rendered.Result)) return false;
        db.StoredBlobs.AddRange(rendered.Rows);
        await db.SaveChangesAsync(CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        return true;
    }

    /// <summary>The job's uuid without dashes: output keys are <c>outputs/&lt;org&gt;/&lt;uuid&gt;-&lt;index&gt;.jpg</c>.</summary>
    internal static string OutputId(string jobId) => jobId[(jobId.LastIndexOf(':') + 1)..].Replace("-", "", StringComparison.Ordinal);
}
