using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>
/// Claims pending jobs and runs them, at most <see cref="FireflyOptions.Workers"/> at a time. On PostgreSQL the
/// claim is one <c>UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED)</c>, so nodes sharing the database never
/// take the same job nor wait on each other; on SQLite it is a conditional UPDATE (status = pending). A running job
/// holds a lease that its heartbeat renews. On start (SQLite, single node) every running job is returned to pending;
/// on PostgreSQL, and on SQLite later, only jobs whose lease expired are, so a job accepted with 202 always reaches a
/// terminal state. The result (status, result JSON, output rows) is written in one transaction, only while this node
/// still holds the lease; output keys are fixed per job, so a retry overwrites an earlier attempt's files.
/// On shutdown the node stops claiming and hands its running jobs back to pending at once. A job that meets an outage
/// (disk full, storage or database down; see <see cref="Outages"/>) is handed back too, without using up an
/// attempt, and the node pauses claiming with a growing backoff until a job succeeds again.
/// </summary>
public sealed class JobWorker(
    IServiceScopeFactory scopes, ImageRunner runner, JobSignal signal, JobCancellations cancellations, TimeProvider clock,
    IOptions<FireflyOptions> options, ILogger<JobWorker> log) : BackgroundService
{
    private readonly string _node = Environment.MachineName + ":" + Guid.NewGuid().ToString("N")[..8];
    private int _running;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _tasks = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        await Task.Yield();
        var started = false;
        var backoff = options.Value.JobPollInterval;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // A database outage must not stop the host: the first requeue is retried like every later pass.
                await RequeueAsync(all: !started, stop);
                started = true;
                foreach (var (id, t) in _tasks) if (t.IsCompleted) _tasks.TryRemove(id, out _);
                while (Environment.TickCount64 >= Interlocked.Read(ref _pausedUntilMs) && Volatile.Read(ref _running) < options.Value.Workers && await ClaimAsync(stop) is { } job)
                {
                    Interlocked.Increment(ref _running);
                    _tasks[job.Id] = Task.Run(() => RunAsync(job, stop), CancellationToken.None);
                }
                backoff = options.Value.JobPollInterval;
                await signal.WaitAsync(options.Value.JobPollInterval, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (Outages.IsOutage(e)) log.LogWarning("Job worker cannot reach the database ({Error}); retrying in {Delay}", e.GetBaseException().Message, backoff);
                else log.LogError(e, "Job worker loop failed; retrying in {Delay}", backoff);
                try { await Task.Delay(backoff, stop); } catch (OperationCanceledException) { return; } // system clock, like the poll interval
                backoff = Backoff.Next(backoff, TimeSpan.FromSeconds(30));
            }
        }
    }

    // After a job hit an outage (disk full, storage or database down) the node stops claiming for a while, doubling
    // the pause on each further outage, so it does not spin through the queue while nothing can succeed.
    private long _pausedUntilMs;
    private long _outageDelayTicks;

    private TimeSpan PauseAfterOutage()
    {
        var delay = Interlocked.Read(ref _outageDelayTicks) is var t && t > 0 ? Backoff.Next(TimeSpan.FromTicks(t), TimeSpan.FromSeconds(30)) : TimeSpan.FromSeconds(1);
        Interlocked.Exchange(ref _outageDelayTicks, delay.Ticks);
        Interlocked.Exchange(ref _pausedUntilMs, Environment.TickCount64 + (long)delay.TotalMilliseconds);
        return delay;
    }

    /// <summary>Graceful stop: cancels the running jobs (they go back to pending) and waits until they are handed back.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try { await Task.WhenAll(_tasks.Values).WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { log.LogWarning("Shutdown timed out before every running job was handed back"); }
    }

    /// <summary>Returns running jobs to pending: all of them at start on SQLite (one node), else those whose lease expired.</summary>
    private async Task RequeueAsync(bool all, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        if (all && !db.Database.IsSqlite()) all = false;
        var now = clock.GetUtcNow();
        var stale = db.Jobs.Where(j => j.Status == JobStates.Running && (all || j.LeaseExpiresAt < now));
        var max = options.Value.MaxJobAttempts;
        await stale.Where(j => j.Attempts >= max).ExecuteUpdateAsync(u => u
            .SetProperty(j => j.Status, JobStates.Failed).SetProperty(j => j.ErrorCode, "runtime_error")
            .SetProperty(j => j.Message, "The job did not finish after repeated attempts").SetProperty(j => j.UpdatedAt, now), ct);
        var n = await stale.Where(j => j.Attempts < max).ExecuteUpdateAsync(u => u
            .SetProperty(j => j.Status, JobStates.Pending).SetProperty(j => j.LeaseOwner, (string?)null)
            .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null).SetProperty(j => j.UpdatedAt, now), ct);
        if (n > 0) log.LogInformation("Returned {Count} interrupted job(s) to the queue", n);
    }

    private async Task<Job?> ClaimAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        if (!db.Database.IsSqlite())
        {
            var now = clock.GetUtcNow();
            var expires = now + options.Value.JobLease;
            var ids = await db.Database.SqlQuery<string>($"""
                UPDATE "Jobs" SET "Status" = {JobStates.Running}, "LeaseOwner" = {_node}, "LeaseExpiresAt" = {expires},
                    "Attempts" = "Attempts" + 1, "UpdatedAt" = {now}
                WHERE "Id" = (SELECT "Id" FROM "Jobs" WHERE "Status" = {JobStates.Pending} ORDER BY "CreatedAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING "Id" AS "Value"
                """).ToListAsync(ct);
            return ids.Count == 1 ? await db.Jobs.AsNoTracking().FirstAsync(j => j.Id == ids[0], ct) : null;
        }
        var candidates = await db.Jobs.Where(j => j.Status == JobStates.Pending).OrderBy(j => j.CreatedAt).Select(j => j.Id).Take(5).ToListAsync(ct);
        foreach (var id in candidates)
        {
            var now = clock.GetUtcNow();
            var claimed = await db.Jobs.Where(j => j.Id == id && j.Status == JobStates.Pending).ExecuteUpdateAsync(u => u
                .SetProperty(j => j.Status, JobStates.Running).SetProperty(j => j.LeaseOwner, _node)
                .SetProperty(j => j.LeaseExpiresAt, now + options.Value.JobLease).SetProperty(j => j.Attempts, j => j.Attempts + 1)
                .SetProperty(j => j.UpdatedAt, now), ct);
            if (claimed == 1) return await db.Jobs.AsNoTracking().FirstAsync(j => j.Id == id, ct);
        }
        return null;
    }

    private async Task RunAsync(Job job, CancellationToken stop)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        cancellations.Register(job.Id, cts);
        var progress = new LatestProgress();
        var heartbeat = HeartbeatAsync(job.Id, progress, cts);
        try
        {
            var spec = JsonSerializer.Deserialize<ImageSpec>(job.Request, JsonSerializerOptions.Web)!;
            var (result, blobs) = await runner.RunAsync(spec, job.OrgId, progress, cts.Token, OutputId(job.Id));
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            var json = result.ToJson();
            await using var tx = await db.Database.BeginTransactionAsync(CancellationToken.None);
            var won = await Finish(db, job.Id, u => u.SetProperty(j => j.Status, JobStates.Succeeded).SetProperty(j => j.Result, json).SetProperty(j => j.Progress, 100));
            if (won == 1)
            {
                db.StoredBlobs.AddRange(blobs);
                await db.SaveChangesAsync(CancellationToken.None);
                await tx.CommitAsync(CancellationToken.None);
                Interlocked.Exchange(ref _outageDelayTicks, 0);
            }
            else log.LogInformation("Job {JobId} was canceled or taken over; its result is discarded", job.Id);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Shutting down: hand the job back at once (this attempt does not count) so another node runs it.
            await using var scope = scopes.CreateAsyncScope();
            await Finish(scope.ServiceProvider.GetRequiredService<KilnDb>(), job.Id, u => u.SetProperty(j => j.Status, JobStates.Pending)
                .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null).SetProperty(j => j.Attempts, j => j.Attempts - 1));
            signal.Notify();
        }
        catch (OperationCanceledException)
        {
            // Canceled by the client (the status is already "canceled") or taken over: this node's work is discarded.
            log.LogInformation("Job {JobId} stopped on this node: canceled or no longer leased", job.Id);
        }
        catch (Exception e) when (Outages.IsOutage(e))
        {
            // Not the job's fault: hand it back (this attempt does not count) and pause claiming. If the database is
            // the thing that is down, the hand-back fails too and the lease expiry returns the job to the queue.
            var pause = PauseAfterOutage();
            log.LogWarning("Job {JobId} hit an outage ({Error}); handed back, claiming paused for {Pause}", job.Id, e.GetBaseException().Message, pause);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                await Finish(scope.ServiceProvider.GetRequiredService<KilnDb>(), job.Id, u => u.SetProperty(j => j.Status, JobStates.Pending)
                    .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null).SetProperty(j => j.Attempts, j => j.Attempts - 1));
            }
            catch (Exception handBack) when (Outages.IsOutage(handBack))
            {
                log.LogWarning("Could not hand job {JobId} back; its lease will expire", job.Id);
            }
        }
        catch (Exception e)
        {
            var (code, message) = e is FireflyException f ? (f.Code, f.Message) : ("runtime_error", "Internal error while rendering");
            if (e is not FireflyException) log.LogError(e, "Job {JobId} failed", job.Id);
            await using var scope = scopes.CreateAsyncScope();
            await Finish(scope.ServiceProvider.GetRequiredService<KilnDb>(), job.Id,
                u => u.SetProperty(j => j.Status, JobStates.Failed).SetProperty(j => j.ErrorCode, code).SetProperty(j => j.Message, message));
        }
        finally
        {
            await cts.CancelAsync();
            try { await heartbeat; } catch (Exception) { /* heartbeat ends with the job */ }
            cancellations.Unregister(job.Id);
            _tasks.TryRemove(job.Id, out _);
            Interlocked.Decrement(ref _running);
            signal.Notify();
        }
    }

    /// <summary>Writes a terminal (or hand-back) state, only while this node still owns the running job.</summary>
    private async Task<int> Finish(KilnDb db, string id, Action<Microsoft.EntityFrameworkCore.Query.UpdateSettersBuilder<Job>> set)
    {
        var now = clock.GetUtcNow();
        return await db.Jobs.Where(j => j.Id == id && j.Status == JobStates.Running && j.LeaseOwner == _node).ExecuteUpdateAsync(u =>
        {
            set(u);
            u.SetProperty(j => j.UpdatedAt, now).SetProperty(j => j.LeaseOwner, (string?)null);
        }, CancellationToken.None);
    }

    /// <summary>The job's uuid without dashes: output keys are <c>outputs/&lt;org&gt;/&lt;uuid&gt;-&lt;index&gt;.jpg</c>.</summary>
    internal static string OutputId(string jobId) => jobId[(jobId.LastIndexOf(':') + 1)..].Replace("-", "", StringComparison.Ordinal);

    /// <summary>Renews the lease and writes progress twice a second; stops the job if it was canceled or taken over.</summary>
    private async Task HeartbeatAsync(string id, LatestProgress progress, CancellationTokenSource cts)
    {
        while (!cts.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500), cts.Token);
            try { await BeatAsync(id, progress, cts); }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning(e, "Heartbeat for {JobId} failed", id); }
        }
    }

    private async Task BeatAsync(string id, LatestProgress progress, CancellationTokenSource cts)
    {
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            var now = clock.GetUtcNow();
            var pct = Math.Min(progress.Value, 99);
            var held = await db.Jobs.Where(j => j.Id == id && j.Status == JobStates.Running && j.LeaseOwner == _node).ExecuteUpdateAsync(u => u
                .SetProperty(j => j.Progress, pct).SetProperty(j => j.LeaseExpiresAt, now + options.Value.JobLease).SetProperty(j => j.UpdatedAt, now), cts.Token);
            if (held == 0) await cts.CancelAsync();
        }
    }

    private sealed class LatestProgress : IProgress<int>
    {
        private int _value;
        public int Value => Volatile.Read(ref _value);
        public void Report(int value) => Volatile.Write(ref _value, value);
    }
}
