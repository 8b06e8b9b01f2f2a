using System.Diagnostics.Metrics;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Firefly;

/// <summary>
/// The <c>kiln.jobs</c> gauge (docs/operations.md#metrics): jobs in the database by state. Read only when a scrape asks,
/// at most every 10 seconds, in the background: a scrape gets the last counts and never waits on the database.
/// </summary>
internal sealed class JobCounts(IServiceScopeFactory scopes, TimeProvider clock)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(10);
    private static readonly string[] States = [JobStates.Pending, JobStates.Running, JobStates.Succeeded, JobStates.Failed, JobStates.Canceled];
    private volatile Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private long _readAt; // the clock's timestamp of the last read started, 0 before the first
    private int _reading;

    public IEnumerable<Measurement<long>> Observe()
    {
        var last = Interlocked.Read(ref _readAt);
        if ((last == 0 || clock.GetElapsedTime(last) > MaxAge) && Interlocked.CompareExchange(ref _reading, 1, 0) == 0)
        {
            Interlocked.Exchange(ref _readAt, clock.GetTimestamp());
            _ = Task.Run(ReadAsync);
        }
        var counts = _counts;
        return States.Select(s => new Measurement<long>(counts.GetValueOrDefault(s), new KeyValuePair<string, object?>("state", s))).ToList();
    }

    private async Task ReadAsync()
    {
        using var quiet = Core.KilnTelemetry.Quiet();
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            _counts = await db.Jobs.GroupBy(j => j.Status).Select(g => new { g.Key, Count = g.LongCount() })
                .ToDictionaryAsync(x => x.Key, x => x.Count, StringComparer.Ordinal);
        }
        catch (Exception)
        {
            // The database is down: the gauge keeps its last counts; kiln.outage.active and /health/ready say why.
        }
        finally
        {
            Volatile.Write(ref _reading, 0);
        }
    }
}
