using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Quotas;
using Kiln.Server.Storage;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>One output: its seed and blob key, or (an upstream in pass-through mode) the upstream's own URL.</summary>
public sealed record StoredOutput(int Seed, string Key, string? Url = null);

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
/// The one way an image request goes, whatever its engine: the engine is chosen (<see cref="EngineResolver"/>), its
/// sources are resolved (upload ids, Kiln's own URLs, the host allow-list), the <see cref="IImageEngine"/> runs it and
/// hands each image to <see cref="EngineOutputs"/>, and the stored outputs' <see cref="StoredBlob"/> rows are saved
/// with the result. Before the engine runs, the request reserves its images with the <see cref="QuotaLedger"/>
/// (docs/firefly.md#quotas-and-usage); a sync request that then fails gives them back, and a job's are given back by
/// <see cref="JobStore"/> when it fails or is canceled. The sync handler calls <see cref="RunAsync"/>; the async submit calls <see cref="SubmitAsync"/>
/// (resolve, then a pending job that remembers its engine) and the <see cref="JobWorker"/> calls
/// <see cref="RunJobAsync"/> for each job it claims.
/// </summary>
public sealed class ImageRunner(
    IEnumerable<IImageEngine> engines, EngineResolver resolver, SourceResolver sources, IBlobStore store, JobStore jobs, JobSignal signal,
    QuotaLedger quotas, IServiceScopeFactory scopes, TimeProvider clock, IOptions<FireflyOptions> options, KilnMetrics metrics)
{
    /// <summary>What a sync request gets when the procedural engine's pool is full.</summary>
    public static Refusal Busy => ProceduralEngine.Busy;

    /// <summary>
    /// The engine that runs the caller's image operations: its project's override, else its org's, else
    /// <c>procedural</c>. The one place to learn an operation's engine (quotas and usage read <see cref="EngineChoice.Name"/>).
    /// </summary>
    public Task<EngineChoice> EngineForAsync(ImsCaller caller, KilnDb db, CancellationToken ct) => resolver.ResolveAsync(caller, db, ct);

    private IImageEngine? EngineNamed(string name) => engines.FirstOrDefault(e => e.Serves(name));

    private static Refusal NoEngine(string name) =>
        new(503, "service_unavailable", $"The image engine '{name}' is not available on this Kiln; ask an org admin to check it (docs/upstream.md#engines)", RetryAfter: 30);

    /// <summary>
    /// Runs a sync request on <paramref name="engine"/>: resolve, reserve its images for <paramref name="who"/>, run (the
    /// engine may refuse, e.g. <see cref="Busy"/>), store files and rows; the images go back unless they were delivered.
    /// </summary>
    public async Task<SyncRun> RunAsync(ImageSpec spec, EngineChoice engine, Metered who, KilnDb db, CancellationToken ct)
    {
        if (EngineNamed(engine.Name) is not { } runner) return SyncRun.Refused(NoEngine(engine.Name));
        if ((await sources.ResolveAsync(spec, who.OrgId, db, ct)).Failed(out var refusal, out var resolved)) return SyncRun.Refused(refusal);
        var quota = await quotas.ReserveAsync(db, who, resolved.Seeds.Count, ct);
        if (quota.Refused is { } q) return SyncRun.Refused(Metering.Refused(q, resolved.Seeds.Count));
        var kept = false;
        try
        {
            var outputs = new EngineOutputs(store, who.OrgId, null, clock.GetUtcNow(), options.Value.ResultLifetime);
            if ((await RunOnEngineAsync(runner, new EngineRequest(resolved, who.OrgId, engine.Name, null, null, who), outputs, ct)).Failed(out refusal, out var result))
                return SyncRun.Refused(refusal);
            db.StoredBlobs.AddRange(outputs.Rows);
            await db.SaveChangesAsync(ct);
            kept = true;
            return SyncRun.Done(ToRun(result));
        }
        finally
        {
            // Refused, failed or abandoned after the reservation: the images were not delivered.
            if (!kept) await quotas.ReleaseAsync(quota.Granted!);
        }
    }

    /// <summary>
    /// Accepts an async request on <paramref name="engine"/>: resolves its sources now (the job stores them resolved),
    /// then reserves its images and inserts the job in one transaction that holds the org's row, so a 202 always has both.
    /// </summary>
    public async Task<Checked<Job>> SubmitAsync(ImageSpec spec, EngineChoice engine, Metered who, string clientId, KilnDb db, CancellationToken ct)
    {
        if (EngineNamed(engine.Name) is null) return NoEngine(engine.Name);
        if ((await sources.ResolveAsync(spec, who.OrgId, db, ct)).Failed(out var refusal, out var resolved)) return refusal;
        Job job;
        await using (var tx = await db.LockOrgAsync(who.OrgId, ct))
        {
            var quota = await quotas.ReserveLockedAsync(db, who, resolved.Seeds.Count, ct);
            if (quota.Refused is { } q)
            {
                await tx.CommitAsync(ct); // the refusal is counted in usage
                return Metering.Refused(q, resolved.Seeds.Count);
            }
            job = await jobs.AddAsync(db, resolved, quota.Granted!, clientId, engine.Name);
            await tx.CommitAsync(CancellationToken.None);
        }
        signal.Notify();
        return job;
    }

    /// <summary>
    /// Runs a claimed job on the engine it was submitted to. Output keys are fixed per job, so a retry overwrites an
    /// earlier attempt's files. The result and the output rows are written in one transaction, only while this node
    /// still holds the job: false when it no longer does (canceled or taken over), and the result is discarded. A
    /// refusal (a bad input found while loading or rendering, an upstream's failure) is the job's failure.
    /// </summary>
    public async Task<Checked<bool>> RunJobAsync(Job job, IProgress<int> progress, CancellationToken ct)
    {
        var name = job.Engine ?? EngineNames.Procedural;
        if (EngineNamed(name) is not { } engine) return NoEngine(name);
        var outputs = new EngineOutputs(store, job.OrgId, OutputId(job.Id), clock.GetUtcNow(), options.Value.ResultLifetime);
        var state = new EngineJob(job.Id, job.Upstream, s => jobs.SaveEngineStateAsync(job.Id, s));
        var who = QuotaLedger.MeteredOf(job, name);
        if ((await RunOnEngineAsync(engine, new EngineRequest(ImageSpec.FromJson(job.Request), job.OrgId, name, progress, state, who), outputs, ct)).Failed(out var refusal, out var result))
            return refusal;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
        if (!await jobs.SucceedAsync(db, job.Id, ToRun(result))) return false;
        db.StoredBlobs.AddRange(outputs.Rows);
        await db.SaveChangesAsync(CancellationToken.None);
        await tx.CommitAsync(CancellationToken.None);
        return true;
    }

    /// <summary>Tells a canceled job's engine to stop what it started elsewhere (an upstream job); best effort, bounded in time.</summary>
    public async Task CancelOnEngineAsync(Job job)
    {
        if (job.Upstream is null || EngineNamed(job.Engine ?? EngineNames.Procedural) is not { } engine) return;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await engine.CancelAsync(job.OrgId, job.Engine!, new EngineJob(job.Id, job.Upstream, _ => Task.FromResult(false)), cts.Token);
    }

    /// <summary>
    /// Runs <paramref name="request"/> on <paramref name="engine"/> inside the span "kiln.images.render"
    /// (docs/operations.md#traces) and counts the images it produced (docs/operations.md#metrics).
    /// </summary>
    private async Task<Checked<EngineResult>> RunOnEngineAsync(IImageEngine engine, EngineRequest request, EngineOutputs outputs, CancellationToken ct)
    {
        using var span = KilnTelemetry.Start("kiln.images.render");
        var operation = Operations.PathOf(request.Spec.Operation);
        span?.SetTag(KilnTelemetry.OrgId, request.OrgId);
        span?.SetTag(KilnTelemetry.Operation, operation);
        span?.SetTag(KilnTelemetry.Engine, request.Engine);
        span?.SetTag("kiln.variations", request.Spec.Seeds.Count);
        var outcome = await engine.RunAsync(request, outputs, ct);
        if (outcome.Failed(out var refused, out var result)) span.Fail(refused.Code);
        else for (var i = 0; i < result.Outputs.Count; i++) metrics.ImageProduced(operation, request.Engine);
        return outcome;
    }

    private static RunResult ToRun(EngineResult r) => new(r.Width, r.Height, r.ContentClass, [.. r.Outputs]);

    /// <summary>The job's uuid without dashes: output keys are <c>outputs/&lt;org&gt;/&lt;uuid&gt;-&lt;index&gt;.jpg</c>.</summary>
    internal static string OutputId(string jobId) => jobId[(jobId.LastIndexOf(':') + 1)..].Replace("-", "", StringComparison.Ordinal);
}
