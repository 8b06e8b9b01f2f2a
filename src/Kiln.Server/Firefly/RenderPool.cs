using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>
/// The bounded worker pool: at most <see cref="FireflyOptions.Workers"/> images render at once on this node,
/// sync requests and async jobs alike, so memory stays bounded. Sync requests are admitted up to
/// <see cref="FireflyOptions.QueueLimit"/>; beyond that the <see cref="ImageRunner"/> refuses them (429 with Retry-After).
/// </summary>
public sealed class RenderPool(IOptions<FireflyOptions> options)
{
    private readonly SemaphoreSlim _slots = new(options.Value.Workers, options.Value.Workers);
    private int _admitted;

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
        await _slots.WaitAsync(ct);
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
