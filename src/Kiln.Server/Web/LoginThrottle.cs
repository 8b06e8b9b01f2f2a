using Kiln.Server.Core;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Web;

/// <summary>
/// Counts wrong passwords per email+address (and per address, at 4x the limit) in fixed windows shared by every node
/// (<see cref="FailureWindows"/>). A sign-in claims its place before the password is checked, so concurrent attempts
/// cannot overrun the limit. Past it, sign-in from there answers "try again later" until the window ends, without
/// checking the password.
/// </summary>
public sealed class LoginThrottle(TimeProvider clock, IOptions<WebOptions> options, ClusterNotifier notifier)
{
    private readonly FailureWindows _windows = new("login", clock, () => options.Value.LoginFailureWindow, notifier);

    /// <summary>Claims a sign-in attempt; when <see cref="FailureWindows.Claim.RetryAfter"/> is set, refuse without checking.</summary>
    public FailureWindows.Claim Begin(string email, string address)
    {
        var max = options.Value.MaxLoginFailures;
        return _windows.Begin(("a:" + address, max * 4), (EmailKey(email, address), max));
    }

    public void Failed(FailureWindows.Claim claim) => _windows.Failed(claim);

    /// <summary>Hands the claim back without a verdict (the check itself failed, for example on an outage).</summary>
    public void Release(FailureWindows.Claim claim) => _windows.Release(claim);

    /// <summary>A good password hands the claim back and clears the email's count (not the address's).</summary>
    public void Succeeded(FailureWindows.Claim claim, string email, string address)
    {
        _windows.Release(claim);
        _windows.Reset(EmailKey(email, address));
    }

    private static string EmailKey(string email, string address) => "e:" + Users.UserAccounts.Normalize(email) + "|" + address;
}
