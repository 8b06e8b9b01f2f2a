using System.Diagnostics;
using Kiln.Server.Data;
using Kiln.Server.Quotas;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>
/// Every write to a job row, and so every change of a job's status: submit, claim, heartbeat, the engine's state, succeed,
/// fail, hand back, cancel, and the re-queue of interrupted jobs. Nothing else updates a job. On PostgreSQL a claim is one
/// <c>UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)</c>, so nodes sharing the database never take the same
/// job nor wait on each other; on SQLite the same UPDATE runs under the database's write lock. Either way the UPDATE
/// returns the claimed row (one round trip). A running job holds a lease
/// (<see cref="Node"/>, renewed by <see cref="BeatAsync"/>); succeed, fail and hand back apply only while it is held.
/// Calls made for a request or inside a caller's transaction take its <see cref="KilnDb"/>; the worker's open their own.
/// A job's reserved images (docs/firefly.md#quotas-and-usage) are committed in the transaction that marks it succeeded
/// and released in the one that marks it failed or canceled (<see cref="QuotaLedger"/>).
/// </summary>
public sealed class JobStore
{
    private readonly IServiceScopeFactory scopes;
    private readonly TimeProvider clock;
    private readonly IOptions<FireflyOptions> options;
    private readonly Core.KilnMetrics metrics;
    private readonly QuotaLedger quotas;
    private readonly JobCounts _counts;

    public JobStore(IServiceScopeFactory scopes, TimeProvider clock, IOptions<FireflyOptions> options, Core.KilnMetrics metrics, QuotaLedger quotas)
    {
        (this.scopes, this.clock, this.options, this.metrics, this.quotas) = (scopes, clock, options, metrics, quotas);
        _counts = new JobCounts(scopes, clock);
        metrics.Meter.CreateObservableGauge("kiln.jobs", _counts.Observe, "{job}", "Jobs in the database by state (read at most every 10 s, when scraped)");
    }

    /// <summary>This node's name in <see cref="Job.LeaseOwner"/>.</summary>
    public string Node { get; } = Environment.MachineName + ":" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>
    /// Adds a pending job for a resolved spec, holding the images <paramref name="reserved"/> for it (one row, written in
    /// the caller's transaction, which commits it before the 202 that promises it).
    /// </summary>
    public async Task<Job> AddAsync(KilnDb db, ImageSpec spec, Reservation reserved, string clientId, string engine)
    {
        var now = clock.GetUtcNow();
        var job = new Job
        {
            Id = JobStates.NewId(), OrgId = reserved.Who.OrgId, ClientId = clientId, Operation = Operations.PathOf(spec.Operation),
            Request = spec.ToJson(), Status = JobStates.Pending, CreatedAt = now, UpdatedAt = now, Engine = engine,
            // The submitting request's trace, which the job's spans link to (docs/operations.md#traces).
            TraceParent = Activity.Current is { IdFormat: ActivityIdFormat.W3C } submit ? submit.Id : null,
        };
        QuotaLedger.Hold(job, reserved);
        db.Jobs.Add(job);
        await db.SaveChangesAsync(CancellationToken.None);
        metrics.JobEntered(JobStates.Pending);
        return job;
    }

    public Task<Job?> FindAsync(KilnDb db, string id, long orgId, CancellationToken ct) =>
        db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id && j.OrgId == orgId, ct);

    /// <summary>
    /// Cancels a pending or running job of the org and gives its images back, in one transaction. <c>Canceled</c> is
    /// false when it was already terminal (or unknown).
    /// </summary>
    public async Task<(Job? Job, bool Canceled)> CancelAsync(KilnDb db, string id, long orgId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        int changed;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            changed = await db.Jobs
                .Where(j => j.Id == id && j.OrgId == orgId && (j.Status == JobStates.Pending || j.Status == JobStates.Running))
                .ExecuteUpdateAsync(u => u.SetProperty(j => j.Status, JobStates.Canceled).SetProperty(j => j.CancelRequested, true)
                    .SetProperty(j => j.UpdatedAt, now).SetProperty(j => j.LeaseOwner, (string?)null), ct);
            if (changed > 0) await quotas.ReleaseJobAsync(db, id);
            await tx.CommitAsync(CancellationToken.None);
        }
        if (changed > 0) metrics.JobEntered(JobStates.Canceled);
        return (await FindAsync(db, id, orgId, ct), changed > 0);
    }

    /// <summary>
    /// Returns running jobs to pending (or fails those out of attempts): all of them when <paramref name="all"/> on SQLite
    /// (one node, at start), else those whose lease expired. Returns how many went back to pending.
    /// </summary>
    public async Task<int> RequeueAsync(bool all, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        if (all && !db.Database.IsSqlite()) all = false;
        var now = clock.GetUtcNow();
        var stale = db.Jobs.Where(j => j.Status == JobStates.Running && (all || j.LeaseExpiresAt < now));
        var max = options.Value.MaxJobAttempts;
        int requeued;
        using (Core.KilnTelemetry.Quiet()) // every poll: its SQL is not traced
        {
            // Out of attempts: failed one by one, each with the release of its images in the same transaction.
            foreach (var id in await stale.Where(j => j.Attempts >= max).Select(j => j.Id).ToListAsync(ct))
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                var failed = await stale.Where(j => j.Id == id && j.Attempts >= max).ExecuteUpdateAsync(u => u
                    .SetProperty(j => j.Status, JobStates.Failed).SetProperty(j => j.ErrorCode, "runtime_error")
                    .SetProperty(j => j.Message, "The job did not finish after repeated attempts").SetProperty(j => j.UpdatedAt, now), ct);
                if (failed == 1) await quotas.ReleaseJobAsync(db, id);
                await tx.CommitAsync(CancellationToken.None);
                if (failed == 1) metrics.JobEntered(JobStates.Failed);
            }
            requeued = await stale.Where(j => j.Attempts < max).ExecuteUpdateAsync(u => u
                .SetProperty(j => j.Status, JobStates.Pending).SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null).SetProperty(j => j.UpdatedAt, now), ct);
        }
        for (var i = 0; i < requeued; i++) metrics.JobEntered("requeued");
        return requeued;
    }

    /// <summary>Takes the oldest pending job for this node (running, leased, one more attempt), or null when there is none.</summary>
    public async Task<Job?> ClaimAsync(CancellationToken ct)
    {
        // Polled every second with or without work: its SQL is not traced (the worker's claim span covers a claim).
        Job? job;
        using (Core.KilnTelemetry.Quiet()) job = await ClaimOneAsync(ct);
        if (job is not null)
        {
            metrics.JobEntered(JobStates.Running);
            // Pick-up latency: submit to first claim (a retried job's later claims would measure its earlier runs).
            if (job.Attempts == 1) metrics.JobPickedUp(clock.GetUtcNow() - job.CreatedAt);
        }
        return job;
    }

    // One statement claims and returns the job; the text holds only placeholders ({0}, {1}, ...), every value is a
    // parameter. PostgreSQL skips rows other nodes are claiming; on SQLite the statement runs under the write lock.
    private const string ClaimSql = """
        UPDATE "Jobs" SET "Status" = {0}, "LeaseOwner" = {1}, "LeaseExpiresAt" = {2}, "Attempts" = "Attempts" + 1, "UpdatedAt" = {3}
        WHERE "Id" = (SELECT "Id" FROM "Jobs" WHERE "Status" = {4} ORDER BY "CreatedAt" LIMIT 1
        """;
    private const string ClaimSqlite = ClaimSql + ") RETURNING *";
    private const string ClaimPostgres = ClaimSql + " FOR UPDATE SKIP LOCKED) RETURNING *";

    private static readonly DateTimeOffsetToBinaryConverter SqliteTime = new();

    private async Task<Job?> ClaimOneAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var sqlite = db.Database.IsSqlite();
        // Raw SQL parameters get no value converter: on SQLite a DateTimeOffset column holds binary ticks (SqliteKilnDb).
        object At(DateTimeOffset t) => sqlite ? SqliteTime.ConvertToProvider(t)! : t;
        var now = clock.GetUtcNow();
        var claimed = await db.Jobs
            .FromSqlRaw(sqlite ? ClaimSqlite : ClaimPostgres,
                JobStates.Running, Node, At(now + options.Value.JobLease), At(now), JobStates.Pending)
            .AsNoTracking().ToListAsync(ct);
        return claimed.Count == 1 ? claimed[0] : null;
    }

    /// <summary>Renews the lease and writes progress. False: this node no longer holds the job (canceled or taken over).</summary>
    public async Task<bool> BeatAsync(string id, int progress, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var now = clock.GetUtcNow();
        using var quiet = Core.KilnTelemetry.Quiet(); // twice a second per running job: not traced
        var held = await Held(db, id).ExecuteUpdateAsync(u => u
            .SetProperty(j => j.Progress, progress).SetProperty(j => j.LeaseExpiresAt, now + options.Value.JobLease).SetProperty(j => j.UpdatedAt, now), ct);
        return held > 0;
    }

    /// <summary>Saves the engine's own state of a running job (an upstream job), only while this node holds it. False: no longer held.</summary>
    public async Task<bool> SaveEngineStateAsync(string id, string state)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var now = clock.GetUtcNow();
        return await Held(db, id).ExecuteUpdateAsync(u => u.SetProperty(j => j.Upstream, state).SetProperty(j => j.UpdatedAt, now), CancellationToken.None) > 0;
    }

    /// <summary>
    /// Marks the job succeeded with its result and commits its images (one update), in the caller's transaction (the
    /// output rows go in the same one). False: no longer held.
    /// </summary>
    public async Task<bool> SucceedAsync(KilnDb db, string id, RunResult result)
    {
        var json = result.ToJson();
        if (await FinishAsync(db, id, u => QuotaLedger.Commit(u.SetProperty(j => j.Status, JobStates.Succeeded).SetProperty(j => j.Result, json).SetProperty(j => j.Progress, 100))) != 1)
            return false;
        metrics.JobEntered(JobStates.Succeeded);
        return true;
    }

    /// <summary>
    /// Marks the job failed and gives its images back, in one transaction (only while this node holds it). A 422's
    /// <paramref name="errors"/> (an engine's, or an upstream's as it sent them) are kept for the status body.
    /// </summary>
    public Task FailAsync(string id, string code, string message, IReadOnlyList<ValidationError>? errors = null) => InScopeAsync(async db =>
    {
        bool failed;
        var validation = ImageMapping.ErrorsToJson(errors);
        await using (var tx = await db.Database.BeginTransactionAsync(CancellationToken.None))
        {
            failed = await FinishAsync(db, id, u => u.SetProperty(j => j.Status, JobStates.Failed).SetProperty(j => j.ErrorCode, code)
                .SetProperty(j => j.Message, message).SetProperty(j => j.ValidationErrors, validation)) == 1;
            if (failed) await quotas.ReleaseJobAsync(db, id);
            await tx.CommitAsync(CancellationToken.None);
        }
        if (failed) metrics.JobEntered(JobStates.Failed);
    });

    /// <summary>Returns the job to pending at once; this attempt does not count.</summary>
    public Task HandBackAsync(string id) => InScopeAsync(async db =>
    {
        if (await FinishAsync(db, id, u => u.SetProperty(j => j.Status, JobStates.Pending)
            .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null).SetProperty(j => j.Attempts, j => j.Attempts - 1)) > 0)
            metrics.JobEntered("requeued");
    });

    private IQueryable<Job> Held(KilnDb db, string id) => db.Jobs.Where(j => j.Id == id && j.Status == JobStates.Running && j.LeaseOwner == Node);

    /// <summary>Writes a terminal (or hand-back) state, only while this node still owns the running job.</summary>
    private async Task<int> FinishAsync(KilnDb db, string id, Action<UpdateSettersBuilder<Job>> set)
    {
        var now = clock.GetUtcNow();
        return await Held(db, id).ExecuteUpdateAsync(u =>
        {
            set(u);
            u.SetProperty(j => j.UpdatedAt, now).SetProperty(j => j.LeaseOwner, (string?)null);
        }, CancellationToken.None);
    }

    private async Task InScopeAsync(Func<KilnDb, Task> write)
    {
        await using var scope = scopes.CreateAsyncScope();
        await write(scope.ServiceProvider.GetRequiredService<KilnDb>());
    }
}
