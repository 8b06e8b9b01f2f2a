using System.Collections.Concurrent;
using Kiln.Server.Core;

namespace Kiln.Server.Firefly;

/// <summary>Wakes the job worker when a job is submitted or a worker frees up on this node.</summary>
public sealed class JobSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    public void Notify()
    {
        try { _signal.Release(); } catch (SemaphoreFullException) { }
    }

    /// <summary>Waits for a notification or the poll interval, whichever comes first.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct) => await _signal.WaitAsync(timeout, ct);
}

/// <summary>
/// The jobs running on this node, so a cancel stops them at once on whichever node runs them: <see cref="Cancel"/>
/// goes through the <see cref="ClusterNotifier"/>, and every node stops its own run of that job.
/// </summary>
public sealed class JobCancellations
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private readonly ClusterNotifier notifier;

    public JobCancellations(ClusterNotifier notifier)
    {
        this.notifier = notifier;
        notifier.Subscribe(ClusterTopic.JobCanceled, m => Stop(m.Payload));
    }

    public void Register(string jobId, CancellationTokenSource cts) => _running[jobId] = cts;

    public void Unregister(string jobId) => _running.TryRemove(jobId, out _);

    public void Cancel(string jobId) => notifier.Publish(ClusterTopic.JobCanceled, jobId);

    private void Stop(string jobId)
    {
        if (_running.TryGetValue(jobId, out var cts))
        {
            try { cts.Cancel(); } catch (ObjectDisposedException) { }
        }
    }
}
