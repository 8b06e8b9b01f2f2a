using System.Collections.Concurrent;
using System.Diagnostics;
using Kiln.Server.Core;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>
/// Claims pending jobs (through <see cref="JobStore"/>) and runs them with the <see cref="ImageRunner"/>; a running job's
/// heartbeat renews its lease. It holds up to twice <see cref="FireflyOptions.Workers"/> jobs at a time while the
/// <see cref="RenderPool"/> renders at most <see cref="FireflyOptions.Workers"/> images: the extra jobs wait for a slot
/// already claimed, so a slot that frees starts the next render at once instead of idling through the finished job's
/// database writes and the next claim (docs/benchmarks.md#async-throughput-issue-17). A submit or a finished job wakes the
/// loop (<see cref="JobSignal"/>); interrupted jobs are looked for once per poll interval, not on every wake. On start (SQLite, single
/// node) every running job is returned to pending; on PostgreSQL, and on SQLite later, only jobs whose lease expired
/// are, so a job accepted with 202 always reaches a terminal state. On shutdown the node stops claiming and hands its
/// running jobs back to pending at once. A job that meets an outage (disk full, storage or database down; see
/// <see cref="Outages"/>) is handed back too, without using up an attempt, and the node pauses claiming with a
/// growing backoff until a job succeeds again. Every wait (poll, heartbeat, backoff, pause) is on the <see cref="TimeProvider"/>.
/// </summary>
public sealed class JobWorker(
    ImageRunner runner, JobStore jobs, JobSignal signal, JobCancellations cancellations, TimeProvider clock,
    IOptions<FireflyOptions> options, KilnMetrics metrics, ILogger<JobWorker> log) : BackgroundService
{
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(500);
    private int _running;
    private long _requeuedAt; // a clock timestamp: the last look for interrupted jobs
    private readonly ConcurrentDictionary<string, Task> _tasks = new(StringComparer.Ordinal);

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
                if (!started || clock.GetElapsedTime(_requeuedAt) >= options.Value.JobPollInterval)
                {
                    var requeued = await jobs.RequeueAsync(all: !started, stop);
                    if (requeued > 0) log.LogInformation("Returned {Count} interrupted job(s) to the queue", requeued);
                    _requeuedAt = clock.GetTimestamp();
                    started = true;
                }
                foreach (var (id, t) in _tasks) if (t.IsCompleted) _tasks.TryRemove(id, out _);
                while (!Paused && Volatile.Read(ref _running) < 2 * options.Value.Workers && await ClaimAsync(stop) is ({ } job, var claimed))
                {
                    Interlocked.Increment(ref _running);
                    _tasks[job.Id] = Task.Run(() => RunAsync(job, claimed, stop), CancellationToken.None);
                }
                backoff = options.Value.JobPollInterval;
                await WaitForWorkAsync(options.Value.JobPollInterval, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (Outages.IsOutage(e)) log.LogWarning("Job worker cannot reach the database ({Error}); retrying in {Delay}", e.GetBaseException().Message, backoff);
                else log.LogError(e, "Job worker loop failed; retrying in {Delay}", backoff);
                try { await Task.Delay(backoff, clock, stop); } catch (OperationCanceledException) { return; }
                backoff = Backoff.Next(backoff, TimeSpan.FromSeconds(30));
            }
        }
    }

    /// <summary>
    /// One claim in the span "kiln.jobs.claim" (docs/operations.md#traces); a poll that finds no job is not recorded, so
    /// an idle node exports nothing. Returns the job and the span's context, the parent of the job's run.
    /// </summary>
    private async Task<(Data.Job? Job, ActivityContext Claimed)> ClaimAsync(CancellationToken stop)
    {
        using var span = KilnTelemetry.Start("kiln.jobs.claim");
        var job = await jobs.ClaimAsync(stop);
        if (span is null) return (job, default);
        if (job is null)
        {
            span.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            return (null, default);
        }
        span.SetTag(KilnTelemetry.JobId, job.Id);
        span.SetTag(KilnTelemetry.OrgId, job.OrgId);
        span.SetTag(KilnTelemetry.ClientId, job.ClientId);
        span.SetTag(KilnTelemetry.Operation, job.Operation);
        if (Submitted(job) is { } submitted) span.AddLink(new ActivityLink(submitted));
        return (job, span.Context);
    }

    /// <summary>The trace context of the request that submitted the job, which its claim and run spans link to.</summary>
    private static ActivityContext? Submitted(Data.Job job) =>
        ActivityContext.TryParse(job.TraceParent, null, out var submitted) ? submitted : null;

    /// <summary>Waits for a <see cref="JobSignal"/> notification or the poll interval on the clock, whichever comes first.</summary>
    private async Task WaitForWorkAsync(TimeSpan interval, CancellationToken stop)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var signalled = signal.WaitAsync(Timeout.InfiniteTimeSpan, cts.Token);
        var polled = Task.Delay(interval, clock, cts.Token);
        await Task.WhenAny(signalled, polled);
        await cts.CancelAsync();
        await Task.WhenAll(signalled, polled).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stop.ThrowIfCancellationRequested();
    }

    // After a job hit an outage (disk full, storage or database down) the node stops claiming for a while, doubling
    // the pause on each further outage, so it does not spin through the queue while nothing can succeed.
    private long _pausedUntil; // a clock timestamp
    private long _outageDelayTicks;

    private bool Paused => clock.GetTimestamp() < Interlocked.Read(ref _pausedUntil);

    private TimeSpan PauseAfterOutage()
    {
        var delay = Interlocked.Read(ref _outageDelayTicks) is var t && t > 0 ? Backoff.Next(TimeSpan.FromTicks(t), TimeSpan.FromSeconds(30)) : TimeSpan.FromSeconds(1);
        Interlocked.Exchange(ref _outageDelayTicks, delay.Ticks);
        Interlocked.Exchange(ref _pausedUntil, clock.GetTimestamp() + (long)(delay.TotalSeconds * clock.TimestampFrequency));
        return delay;
    }

    /// <summary>Graceful stop: cancels the running jobs (they go back to pending) and waits until they are handed back.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try { await Task.WhenAll(_tasks.Values).WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { log.LogWarning("Shutdown timed out before every running job was handed back"); }
    }

    private async Task RunAsync(Data.Job job, ActivityContext claimed, CancellationToken stop)
    {
        // The span "kiln.jobs.run", a child of the claim, linked to the submitting request's trace; the render and its
        // blob puts are its children (docs/operations.md#traces). When no tracer records it, a bare activity still
        // gives the job's log lines a trace id of their own, as ASP.NET Core does for a request.
        var submitted = Submitted(job);
        using var span = KilnTelemetry.Source.StartActivity("kiln.jobs.run", ActivityKind.Internal, claimed,
                links: submitted is { } s ? [new ActivityLink(s)] : null)
            ?? Unrecorded("kiln.jobs.run", claimed);
        span.SetTag(KilnTelemetry.JobId, job.Id);
        span.SetTag(KilnTelemetry.OrgId, job.OrgId);
        span.SetTag(KilnTelemetry.ClientId, job.ClientId);
        span.SetTag(KilnTelemetry.Operation, job.Operation);
        span.SetTag(KilnTelemetry.Engine, job.Engine ?? EngineNames.Procedural);
        // Log lines of the job carry its org and client (docs/operations.md#structured-logs).
        using var scope = log.BeginScope(new Dictionary<string, object> { ["OrgId"] = job.OrgId, ["ClientId"] = job.ClientId, ["JobId"] = job.Id });
        log.LogDebug("Job {JobId} started (attempt {Attempt}); submitted in trace {SubmitTraceId}", job.Id, job.Attempts,
            submitted?.TraceId.ToHexString() ?? "unknown");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(stop);
        cancellations.Register(job.Id, cts);
        var progress = new LatestProgress();
        var heartbeat = HeartbeatAsync(job.Id, progress, cts);
        try
        {
            if ((await runner.RunJobAsync(job, progress, cts.Token)).Failed(out var refusal, out var kept))
            {
                span.Fail(refusal.Code);
                await jobs.FailAsync(job.Id, refusal.Code, refusal.Message, refusal.Errors);
            }
            else if (kept) Interlocked.Exchange(ref _outageDelayTicks, 0);
            else log.LogInformation("Job {JobId} was canceled or taken over; its result is discarded", job.Id);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Shutting down: hand the job back at once (this attempt does not count) so another node runs it.
            await jobs.HandBackAsync(job.Id);
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
            metrics.Outage(Outages.KindOf(e));
            span.Fail("outage");
            log.LogWarning("Job {JobId} hit an outage ({Error}); handed back, claiming paused for {Pause}", job.Id, e.GetBaseException().Message, pause);
            try
            {
                await jobs.HandBackAsync(job.Id);
            }
            catch (Exception handBack) when (Outages.IsOutage(handBack))
            {
                log.LogWarning("Could not hand job {JobId} back; its lease will expire", job.Id);
            }
        }
        catch (Exception e)
        {
            log.LogError(e, "Job {JobId} failed", job.Id);
            span.Fail("runtime_error");
            await jobs.FailAsync(job.Id, "runtime_error", "Internal error while rendering");
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

    private static Activity Unrecorded(string name, ActivityContext parent)
    {
        var activity = new Activity(name);
        if (parent != default) activity.SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags);
        return activity.Start();
    }

    /// <summary>Renews the lease and writes progress twice a second; stops the job if it was canceled or taken over.</summary>
    private async Task HeartbeatAsync(string id, LatestProgress progress, CancellationTokenSource cts)
    {
        while (!cts.IsCancellationRequested)
        {
            await Task.Delay(HeartbeatInterval, clock, cts.Token);
            try
            {
                if (!await jobs.BeatAsync(id, Math.Min(progress.Value, 99), cts.Token)) await cts.CancelAsync();
            }
            catch (Exception e) when (e is not OperationCanceledException) { log.LogWarning(e, "Heartbeat for {JobId} failed", id); }
        }
    }

    private sealed class LatestProgress : IProgress<int>
    {
        private int _value;
        public int Value => Volatile.Read(ref _value);
        public void Report(int value) => Volatile.Write(ref _value, value);
    }
}
