using System.Collections.Concurrent;

namespace Kiln.Server.Core;

/// <summary>
/// Counts failures per key in fixed windows, for the brute-force limits of the token endpoint and of sign-in. An attempt
/// claims its place under every limit before anything is checked, atomically, so a burst of concurrent attempts can
/// never get more evaluations than the limit: the claim counts as a failure up front and is handed back
/// (<see cref="Release"/>) when the attempt turns out not to be one. Failures are told to the other nodes through the
/// <see cref="ClusterNotifier"/>, which count them too.
/// </summary>
public sealed class FailureWindows
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);
    private readonly string _name;
    private readonly TimeProvider _clock;
    private readonly Func<TimeSpan> _length;
    private readonly ClusterNotifier _notifier;

    /// <summary>
    /// <paramref name="name"/> tells this set of windows from others on the wire (for example <c>ims</c> or <c>login</c>);
    /// <paramref name="length"/> is read on each use, so that options reloads apply.
    /// </summary>
    public FailureWindows(string name, TimeProvider clock, Func<TimeSpan> length, ClusterNotifier notifier)
    {
        (_name, _clock, _length, _notifier) = (name, clock, length, notifier);
        notifier.Subscribe(ClusterTopic.AuthFailure, m =>
        {
            // This node's failures were counted by their claims; another node's count here when they arrive.
            var bar = m.Payload.IndexOf('|', StringComparison.Ordinal);
            if (!m.FromThisNode && bar > 0 && m.Payload.AsSpan(0, bar).SequenceEqual(_name)) Bump(m.Payload[(bar + 1)..]);
        });
    }

    internal sealed class Window(long start)
    {
        public readonly long Start = start;
        public int Count;
    }

    /// <summary>One attempt's claims, taken before the check. When <see cref="RetryAfter"/> is set, it holds none and the caller must wait.</summary>
    public sealed class Claim
    {
        internal readonly List<(string Key, Window Window)> Held = [];
        public TimeSpan? RetryAfter { get; internal set; }
    }

    /// <summary>Claims a place under each (key, limit); if any is full, claims nothing and says how long to wait.</summary>
    public Claim Begin(params ReadOnlySpan<(string Key, int Max)> limits)
    {
        if (_windows.Count > 100_000) Prune();
        var claim = new Claim();
        foreach (var (key, max) in limits)
        {
            var now = Now();
            var w = _windows.AddOrUpdate(key, _ => new Window(now), (_, old) => Expired(old, now) ? new Window(now) : old);
            if (Interlocked.Increment(ref w.Count) <= max)
            {
                claim.Held.Add((key, w));
                continue;
            }
            Interlocked.Decrement(ref w.Count);
            var wait = TimeSpan.FromMilliseconds(Math.Max(1, w.Start + WindowMs - now));
            if (claim.RetryAfter is null || wait > claim.RetryAfter) claim.RetryAfter = wait;
        }
        if (claim.RetryAfter is not null) Release(claim);
        return claim;
    }

    /// <summary>Hands the claims back: the attempt was not a failure (a success, a malformed request, an outage).</summary>
    public void Release(Claim claim)
    {
        lock (claim.Held)
        {
            foreach (var (_, w) in claim.Held) Interlocked.Decrement(ref w.Count);
            claim.Held.Clear();
        }
    }

    /// <summary>The attempt failed: its claims stay counted, and the other nodes count them too.</summary>
    public void Failed(Claim claim)
    {
        lock (claim.Held)
        {
            foreach (var (key, _) in claim.Held) _notifier.Publish(ClusterTopic.AuthFailure, _name + "|" + key);
            claim.Held.Clear();
        }
    }

    /// <summary>Forgets a key's failures on this node (a good password clears the email's count).</summary>
    public void Reset(string key) => _windows.TryRemove(key, out _);

    public void Prune()
    {
        var now = Now();
        foreach (var (key, w) in _windows)
            if (Expired(w, now)) _windows.TryRemove(key, out _);
    }

    private void Bump(string key)
    {
        var now = Now();
        var w = _windows.AddOrUpdate(key, _ => new Window(now), (_, old) => Expired(old, now) ? new Window(now) : old);
        Interlocked.Increment(ref w.Count);
    }

    private bool Expired(Window w, long now) => w.Start + WindowMs <= now;

    private long WindowMs => (long)_length().TotalMilliseconds;

    private long Now() => _clock.GetUtcNow().ToUnixTimeMilliseconds();
}
