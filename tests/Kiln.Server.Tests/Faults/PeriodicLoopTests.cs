using Kiln.Server.Core;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Faults;

/// <summary>
/// The loop behind the key-ring refresh, the scheduled upstream rotation and the Firefly cleanup (Core/PeriodicLoop.cs):
/// one round per interval on the clock, a failed round reported and survived, a stop ending it quietly.
/// </summary>
public sealed class PeriodicLoopTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);

    /// <summary>Advances the fake clock an interval at a time until <paramref name="done"/> (each round starts on a new timer).</summary>
    private async Task AdvanceUntilAsync(Func<bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, "the loop did not run the expected rounds");
            _clock.Advance(Interval);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_failed_round_is_reported_and_the_next_round_still_runs()
    {
        var rounds = 0;
        var failures = new List<Exception>();
        using var stop = new CancellationTokenSource();
        var loop = PeriodicLoop.RunAsync(_clock, Interval, _ =>
        {
            if (Interlocked.Increment(ref rounds) == 1) throw new InvalidOperationException("round one fails");
            return Task.CompletedTask;
        }, e => { lock (failures) failures.Add(e); }, stop.Token);

        await AdvanceUntilAsync(() => Volatile.Read(ref rounds) >= 3);
        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(loop.IsCompletedSuccessfully);
        var failure = Assert.Single(failures);
        Assert.Equal("round one fails", failure.Message);
    }

    [Fact]
    public async Task Nothing_runs_before_the_interval_and_a_stop_mid_wait_ends_the_loop_quietly()
    {
        var rounds = 0;
        var failures = 0;
        using var stop = new CancellationTokenSource();
        var loop = PeriodicLoop.RunAsync(_clock, Interval, _ => { Interlocked.Increment(ref rounds); return Task.CompletedTask; },
            _ => Interlocked.Increment(ref failures), stop.Token);

        _clock.Advance(Interval - TimeSpan.FromSeconds(1));
        await Task.Delay(100);
        Assert.Equal(0, Volatile.Read(ref rounds));

        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(loop.IsCompletedSuccessfully);
        Assert.Equal(0, Volatile.Read(ref rounds));
        Assert.Equal(0, Volatile.Read(ref failures));
    }

    [Fact]
    public async Task A_stop_mid_round_ends_the_loop_quietly()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var failures = 0;
        using var stop = new CancellationTokenSource();
        var loop = PeriodicLoop.RunAsync(_clock, Interval, async ct =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        }, _ => Interlocked.Increment(ref failures), stop.Token);

        await AdvanceUntilAsync(() => started.Task.IsCompleted);
        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(loop.IsCompletedSuccessfully);
        Assert.Equal(0, Volatile.Read(ref failures));
    }
}
