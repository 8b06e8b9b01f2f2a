using System.Collections.Concurrent;

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
/// The jobs running on this node, so a cancel stops them at once. <see cref="Cancel"/> also raises
/// <see cref="Requested"/>, which the change bus sends to the other nodes (they call <see cref="CancelLocal"/>).
/// </summary>
public sealed class JobCancellations
{
    public event Action<string>? Requested;

    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);

    public void Register(string jobId, CancellationTokenSource cts) => _running[jobId] = cts;

    public void Unregister(string jobId) => _running.TryRemove(jobId, out _);

    public void Cancel(string jobId)
    {
        CancelLocal(jobId);
        Requested?.Invoke(jobId);
    }

    public void CancelLocal(string jobId)
    {
        if (_running.TryGetValue(jobId, out var cts))
        {
            try { cts.Cancel(); } catch (ObjectDisposedException) { }
        }
    }
}
