using System.Collections.Concurrent;
using Kiln.Server.Users;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Web;

/// <summary>
/// Counts wrong passwords per email+address (and per address, at 4x the limit) in fixed windows. Past the
/// limit, sign-in from there answers "try again later" until the window ends, without checking the password.
/// </summary>
public sealed class LoginThrottle(TimeProvider clock, IOptions<WebOptions> options)
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset Start, int Count)> _windows = new(StringComparer.Ordinal);

    public TimeSpan? RetryAfter(string email, string address)
    {
        var o = options.Value;
        var a = Check("a:" + address, o.MaxLoginFailures * 4);
        var e = Check(EmailKey(email, address), o.MaxLoginFailures);
        return a is null ? e : e is null ? a : (a > e ? a : e);
    }

    public void RecordFailure(string email, string address)
    {
        if (_windows.Count > 100_000) Prune();
        Bump("a:" + address);
        Bump(EmailKey(email, address));
    }

    /// <summary>A good password clears the email's count (not the address's).</summary>
    public void Succeeded(string email, string address) => _windows.TryRemove(EmailKey(email, address), out _);

    private static string EmailKey(string email, string address) => "e:" + UserAccounts.Normalize(email) + "|" + address;

    private TimeSpan? Check(string key, int max)
    {
        if (!_windows.TryGetValue(key, out var w)) return null;
        var end = w.Start + options.Value.LoginFailureWindow;
        var now = clock.GetUtcNow();
        return end <= now || w.Count < max ? null : end - now;
    }

    private void Bump(string key)
    {
        var now = clock.GetUtcNow();
        var window = options.Value.LoginFailureWindow;
        _windows.AddOrUpdate(key, _ => (now, 1), (_, old) => old.Start + window <= now ? (now, 1) : (old.Start, old.Count + 1));
    }

    private void Prune()
    {
        var now = clock.GetUtcNow();
        foreach (var (key, w) in _windows)
            if (w.Start + options.Value.LoginFailureWindow <= now) _windows.TryRemove(key, out _);
    }
}
