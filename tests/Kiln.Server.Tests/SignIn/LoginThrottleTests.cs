using System.Net;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.SignIn;

/// <summary>The sign-in throttle claims its place before the password is checked, so a burst cannot overrun it.</summary>
public sealed class LoginThrottleTests : IDisposable
{
    private readonly KilnFactory _kiln = new KilnFactory().With("Kiln:Web:MaxLoginFailures", "5");

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Sixty_concurrent_wrong_passwords_get_exactly_the_limit_checked()
    {
        _kiln.Start();
        using var form = new LoginForm(_kiln.BaseAddress);
        Assert.Equal(HttpStatusCode.Unauthorized, await form.SignInAsync("admin@kiln.local", "wrong-0")); // also fetches the form

        var results = await Task.WhenAll(Enumerable.Range(1, 59).Select(i => form.SignInAsync("admin@kiln.local", $"wrong-{i}")));

        Assert.Equal(4, results.Count(s => s == HttpStatusCode.Unauthorized));
        Assert.Equal(55, results.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(59, results.Length);
    }
}
