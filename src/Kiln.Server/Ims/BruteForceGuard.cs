using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Ims;

/// <summary>
/// Counts failed client authentications per client id and per source address in fixed windows.
/// Past either limit the token endpoint answers 429 with Retry-After until the window ends. Other
/// clients from other addresses are unaffected. Failures are also aggregated for the audit log.
/// </summary>
public sealed class BruteForceGuard(TimeProvider clock, IOptions<ImsOptions> options)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string ClientId, string Address), int> _pendingAudit = new();

    private sealed class Window(long start)
    {
        public readonly long Start = start;
        public int Count;
    }

    /// <summary>How long the caller must wait, or null when it may try.</summary>
    public TimeSpan? RetryAfter(string? clientId, string address)
    {
        var o = options.Value.BruteForce;
        var a = Check("a:" + address, o.MaxFailuresPerAddress);
        var c = clientId is null ? null : Check("c:" + clientId, o.MaxFailuresPerClient);
        return a is null ? c : c is null ? a : (a > c ? a : c);
    }

    /// <summary>Raised with each counter key a failure bumped, so other nodes can count it too.</summary>
    public event Action<string>? FailureRecorded;

    public void RecordFailure(string? clientId, string address)
    {
        Bump("a:" + address);
        FailureRecorded?.Invoke("a:" + address);
        if (clientId is not null)
        {
            Bump("c:" + clientId);
            FailureRecorded?.Invoke("c:" + clientId);
        }
        _pendingAudit.AddOrUpdate((clientId ?? "", address), 1, (_, n) => n + 1);
        if (_windows.Count > 100_000) Prune();
    }

    /// <summary>Failed attempts since the last call, for the audit flush.</summary>
    public IReadOnlyList<(string ClientId, string Address, int Count)> DrainFailures()
    {
        var list = new List<(string, string, int)>();
        foreach (var key in _pendingAudit.Keys)
            if (_pendingAudit.TryRemove(key, out var n)) list.Add((key.ClientId, key.Address, n));
        return list;
    }

    /// <summary>Puts back failures whose audit records could not be written (the database was down), for the next flush.</summary>
    public void ReturnFailures(IEnumerable<(string ClientId, string Address, int Count)> failures)
    {
        foreach (var (clientId, address, count) in failures)
            _pendingAudit.AddOrUpdate((clientId, address), count, (_, n) => n + count);
    }

    public void Prune()
    {
        var now = Now();
        foreach (var (key, w) in _windows)
            if (w.Start + WindowMs <= now) _windows.TryRemove(key, out _);
    }

    /// <summary>Counts a failure another node saw.</summary>
    public void BumpRemote(string key)
    {
        if (key.StartsWith("a:", StringComparison.Ordinal) || key.StartsWith("c:", StringComparison.Ordinal)) Bump(key);
    }

    private TimeSpan? Check(string key, int max)
    {
        if (!_windows.TryGetValue(key, out var w)) return null;
        var now = Now();
        if (w.Start + WindowMs <= now || Volatile.Read(ref w.Count) < max) return null;
        return TimeSpan.FromMilliseconds(w.Start + WindowMs - now);
    }

    private void Bump(string key)
    {
        var now = Now();
        var w = _windows.AddOrUpdate(key, _ => new Window(now), (_, old) => old.Start + WindowMs <= now ? new Window(now) : old);
        Interlocked.Increment(ref w.Count);
    }

    private long WindowMs => (long)options.Value.BruteForce.Window.TotalMilliseconds;

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();
}
