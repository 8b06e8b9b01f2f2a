using System.Diagnostics;
using System.Net;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.SignIn;

/// <summary>
/// A wrong password takes as long for an unknown email as for a real account, so sign-in does not tell which emails
/// have accounts (docs/security.md#sign-in-timing). Medians of many attempts each way, compared within a generous
/// ratio: the hash check costs tens of milliseconds, an unknown email without it about one.
/// </summary>
public sealed class SignInTimingTests : IDisposable
{
    private readonly KilnFactory _kiln = new KilnFactory().With("Kiln:Web:MaxLoginFailures", "1000");

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task A_wrong_password_takes_as_long_for_an_unknown_email_as_for_a_real_one()
    {
        _kiln.Start();
        using var form = new LoginForm(_kiln.BaseAddress);
        for (var i = 0; i < 3; i++) // warm up both paths
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await form.SignInAsync("admin@kiln.local", "wrong-password"));
            Assert.Equal(HttpStatusCode.Unauthorized, await form.SignInAsync("nobody@kiln.local", "wrong-password"));
        }
        var known = new List<double>();
        var unknown = new List<double>();
        for (var i = 0; i < 15; i++) // interleaved, so that load on the machine falls on both alike
        {
            known.Add(await TimeAsync(form, "admin@kiln.local"));
            unknown.Add(await TimeAsync(form, $"nobody-{i}@kiln.local"));
        }
        var (k, u) = (Median(known), Median(unknown));
        Assert.True(u >= k * 0.5 && u <= k * 2, $"median {u:F1} ms for unknown emails against {k:F1} ms for a real account");
    }

    private static async Task<double> TimeAsync(LoginForm form, string email)
    {
        var watch = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Unauthorized, await form.SignInAsync(email, "wrong-password"));
        return watch.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> xs)
    {
        var sorted = xs.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
