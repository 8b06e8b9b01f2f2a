using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Kiln.Server.Core;

namespace Kiln.Server.Ims;

/// <summary>
/// Counts failed client authentications per client id and per source address in fixed windows.
/// Past either limit the token endpoint answers 429 with Retry-After until the window ends. Other
/// clients from other addresses are unaffected. Failures are also aggregated for the audit log.
/// </summary>
public sealed class BruteForceGuard
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string ClientId, string Address), int> _pendingAudit = new();
    private readonly TimeProvider clock;
    private readonly IOptions<ImsOptions> options;
    private readonly ClusterNotifier notifier;

    public BruteForceGuard(TimeProvider clock, IOptions<ImsOptions> options, ClusterNotifier notifier)
    {
        (this.clock, this.options, this.notifier) = (clock, options, notifier);
        // This node's failures were counted by their claims; other nodes' failures count here too.
        notifier.Subscribe(ClusterTopic.AuthFailure, m =>
        {
            if (!m.FromThisNode && (m.Payload.StartsWith("a:", StringComparison.Ordinal) || m.Payload.StartsWith("c:", StringComparison.Ordinal)))
                Bump(m.Payload);
        });
    }

    internal sealed class Window(long start)
    {
        public readonly long Start = start;
        public int Count;
    }

    /// <summary>
    /// One attempt's claim on the windows, taken before the secret is checked. Taking it is atomic, so a burst of
    /// concurrent attempts can never get more evaluations than the limit: the claim counts as a failure up front and is
    /// handed back (<see cref="Release"/>) when the attempt turns out not to be a failed authentication.
    /// </summary>
    public sealed class Attempt
    {
        internal Window? Address, Client;
        public TimeSpan? RetryAfter { get; internal set; }
    }

    /// <summary>Claims an attempt under both limits; when <see cref="Attempt.RetryAfter"/> is set the caller must wait instead.</summary>
    public Attempt Begin(string? clientId, string address)
    {
        var o = options.Value.BruteForce;
        if (_windows.Count > 100_000) Prune();
        var attempt = new Attempt();
        var a = Claim("a:" + address, o.MaxFailuresPerAddress, out attempt.Address);
        var c = clientId is null ? null : Claim("c:" + clientId, o.MaxFailuresPerClient, out attempt.Client);
        if (a is null && c is null) return attempt;
        Release(attempt);
        attempt.RetryAfter = a is null ? c : c is null ? a : (a > c ? a : c);
        return attempt;
    }

    /// <summary>Hands an attempt's claim back: it was not a failed authentication (a success, or a malformed request).</summary>
    public void Release(Attempt attempt)
    {
        if (Interlocked.Exchange(ref attempt.Address, null) is { } a) Interlocked.Decrement(ref a.Count);
        if (Interlocked.Exchange(ref attempt.Client, null) is { } c) Interlocked.Decrement(ref c.Count);
    }

    /// <summary>The attempt failed: its claim stays counted, and the failure goes to other nodes and to the audit log.</summary>
    public void Failed(Attempt attempt, string? clientId, string address)
    {
        attempt.Address = attempt.Client = null;
        notifier.Publish(ClusterTopic.AuthFailure, "a:" + address);
        if (clientId is not null) notifier.Publish(ClusterTopic.AuthFailure, "c:" + clientId);
        _pendingAudit.AddOrUpdate((clientId ?? "", address), 1, (_, n) => n + 1);
    }

    private TimeSpan? Claim(string key, int max, out Window? claimed)
    {
        var now = Now();
        var w = _windows.AddOrUpdate(key, _ => new Window(now), (_, old) => old.Start + WindowMs <= now ? new Window(now) : old);
        claimed = null;
        if (Interlocked.Increment(ref w.Count) <= max)
        {
            claimed = w;
            return null;
        }
        Interlocked.Decrement(ref w.Count);
        return TimeSpan.FromMilliseconds(Math.Max(1, w.Start + WindowMs - now));
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

    private void Bump(string key)
    {
        var now = Now();
        var w = _windows.AddOrUpdate(key, _ => new Window(now), (_, old) => old.Start + WindowMs <= now ? new Window(now) : old);
        Interlocked.Increment(ref w.Count);
    }

    private long WindowMs => (long)options.Value.BruteForce.Window.TotalMilliseconds;

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();
}
