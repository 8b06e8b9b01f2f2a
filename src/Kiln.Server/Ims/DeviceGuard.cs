using Kiln.Server.Core;
using Kiln.Server.Users;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Ims;

/// <summary>
/// The device flow's limits (docs/console.md#limits-of-the-device-flow), in fixed windows shared by every node
/// (<see cref="FailureWindows"/>): wrong user codes per signed-in user and per source address (RFC 8628 §5.1: user codes
/// are short, so guessing must be slow), and device authorizations started per source address.
/// </summary>
public sealed class DeviceGuard(TimeProvider clock, IOptions<AccountOptions> options, ClusterNotifier notifier)
{
    private readonly FailureWindows _guesses = new("device-guess", clock, () => options.Value.DeviceFailureWindow, notifier);
    private readonly FailureWindows _starts = new("device-start", clock, () => options.Value.DeviceCodeRequestWindow, notifier);

    /// <summary>Claims a user-code lookup before it runs; when <see cref="FailureWindows.Claim.RetryAfter"/> is set, refuse without looking.</summary>
    public FailureWindows.Claim BeginGuess(long userId, string address)
    {
        var o = options.Value;
        return _guesses.Begin(("a:" + address, o.DeviceMaxFailedCodesPerAddress), ("u:" + userId.ToString(System.Globalization.CultureInfo.InvariantCulture), o.DeviceMaxFailedCodes));
    }

    /// <summary>
    /// The lookup's verdict: a code that names no authorization stays counted (and is told to the other nodes); one
    /// that names an authorization, whatever its state, hands the claim back.
    /// </summary>
    public void Guessed(FailureWindows.Claim claim, bool found)
    {
        if (found) _guesses.Release(claim);
        else _guesses.Failed(claim);
    }

    /// <summary>Hands a claim back without a verdict (the lookup failed on an outage).</summary>
    public void Release(FailureWindows.Claim claim) => _guesses.Release(claim);

    /// <summary>Counts a <c>POST /ims/device/code</c> from the address; when <see cref="FailureWindows.Claim.RetryAfter"/> is set, refuse it.</summary>
    public FailureWindows.Claim BeginStart(string address) =>
        _starts.Begin(("a:" + address, options.Value.DeviceCodeRequestsPerAddress));

    /// <summary>The request was answered (a code, a bad request, the stored-codes cap): it stays counted, on every node.</summary>
    public void Started(FailureWindows.Claim claim) => _starts.Failed(claim);

    /// <summary>Hands the claim back: the request failed on an outage.</summary>
    public void ReleaseStart(FailureWindows.Claim claim) => _starts.Release(claim);
}
