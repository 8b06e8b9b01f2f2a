using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Kiln.Server.Core;

namespace Kiln.Server.Ims;

/// <summary>
/// Counts failed client authentications per client id and per source address in fixed windows
/// (<see cref="FailureWindows"/>). Past either limit the token endpoint answers 429 with Retry-After until the window
/// ends. Other clients from other addresses are unaffected. Failures are also aggregated for the audit log.
/// </summary>
public sealed class BruteForceGuard(TimeProvider clock, IOptions<ImsOptions> options, ClusterNotifier notifier)
{
    private readonly FailureWindows _windows = new("ims", clock, () => options.Value.BruteForce.Window, notifier);
    private readonly ConcurrentDictionary<(string ClientId, string Address), int> _pendingAudit = new();

    /// <summary>Claims an attempt under both limits; when <see cref="FailureWindows.Claim.RetryAfter"/> is set the caller must wait instead.</summary>
    public FailureWindows.Claim Begin(string? clientId, string address)
    {
        var o = options.Value.BruteForce;
        return clientId is null
            ? _windows.Begin(("a:" + address, o.MaxFailuresPerAddress))
            : _windows.Begin(("a:" + address, o.MaxFailuresPerAddress), ("c:" + clientId, o.MaxFailuresPerClient));
    }

    /// <summary>Hands an attempt's claim back: it was not a failed authentication (a success, or a malformed request).</summary>
    public void Release(FailureWindows.Claim attempt) => _windows.Release(attempt);

    /// <summary>The attempt failed: its claim stays counted, and the failure goes to other nodes and to the audit log.</summary>
    public void Failed(FailureWindows.Claim attempt, string? clientId, string address)
    {
        _windows.Failed(attempt);
        _pendingAudit.AddOrUpdate((clientId ?? "", address), 1, (_, n) => n + 1);
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

    public void Prune() => _windows.Prune();
}
