using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>
/// The bounded worker pool: at most <see cref="FireflyOptions.Workers"/> images render at once on this node,
/// sync requests and async jobs alike, so memory stays bounded. Sync requests are admitted up to
/// <see cref="FireflyOptions.QueueLimit"/>; beyond that the <see cref="ImageRunner"/> refuses them (429 with Retry-After).
/// </summary>
public sealed class RenderPool
{
    private readonly IOptions<FireflyOptions> options;
    private readonly SemaphoreSlim _slots;
    private int _admitted, _waiting;

    public RenderPool(IOptions<FireflyOptions> options, Core.KilnMetrics metrics)
    {
        this.options = options;
        _slots = new(options.Value.Workers, options.Value.Workers);
        // docs/operations.md#metrics: slots rendering now, and renders (sync requests and jobs) waiting for a slot.
        metrics.Meter.CreateObservableGauge("kiln.render_pool.slots_in_use", () => Workers - _slots.CurrentCount, "{slot}", "Render slots in use on this node");
        metrics.Meter.CreateObservableGauge("kiln.render_pool.slots", () => Workers, "{slot}", "Render slots on this node");
        metrics.Meter.CreateObservableGauge("kiln.render_pool.queue_length", () => Volatile.Read(ref _waiting), "{render}", "Renders waiting for a slot on this node");
    }

    public int Workers => options.Value.Workers;

    /// <summary>Admits one sync request; false when the queue is full. Pair with <see cref="Leave"/>.</summary>
    public bool TryAdmit()
    {
        if (Interlocked.Increment(ref _admitted) <= options.Value.QueueLimit) return true;
        Interlocked.Decrement(ref _admitted);
        return false;
    }

    public void Leave() => Interlocked.Decrement(ref _admitted);

    /// <summary>Runs one render when a worker slot is free.</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken ct)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _slots.WaitAsync(ct);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        try
        {
            return await work();
        }
        finally
        {
            _slots.Release();
        }
    }
}
