namespace Kiln.Server.Core;

/// <summary>
/// The loop of a background service that works on an interval: wait the interval on the <see cref="TimeProvider"/>,
/// do one round, repeat until the host stops. A round that throws is reported to <c>failed</c> (each service logs it
/// in its own words) and the loop carries on; the host stopping ends it quietly, mid-wait or mid-round.
/// </summary>
public static class PeriodicLoop
{
    public static async Task RunAsync(TimeProvider clock, TimeSpan interval, Func<CancellationToken, Task> round, Action<Exception> failed, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, clock, stop);
                await round(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception e) { failed(e); }
        }
    }
}
