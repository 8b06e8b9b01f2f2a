using System.Net;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// The device flow's limits under bursts (docs/console.md#limits-of-the-device-flow): wrong user codes per signed-in
/// user and per address, device authorizations started per address, and the cap on stored authorizations. Each limit
/// is claimed before the work, so a burst gets exactly the limit through.
/// </summary>
public sealed class DeviceRaceTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private KilnFactory _kiln = null!;

    private KilnFactory Kiln(params (string Key, string Value)[] settings)
    {
        _kiln = new KilnFactory(_clock);
        foreach (var (k, v) in settings) _kiln.With(k, v);
        _kiln.Start();
        return _kiln;
    }

    public void Dispose() => _kiln?.Dispose();

    private static string WrongCode(int i) => "BCDF-" + new string([.. Enumerable.Range(0, 4).Select(k => "BCDFGHJKMNPQRSTVWXZ"[(i / (int)Math.Pow(19, k)) % 19])]);

    [Fact]
    public async Task A_burst_of_wrong_user_codes_gets_exactly_the_limit_looked_up_then_even_the_right_code_waits()
    {
        var kiln = Kiln(("Kiln:DeviceMaxFailedCodes", "5"));
        await kiln.CreateUserAsync("dev@example.com", kiln.DemoOrg(), "developer");
        var right = (await kiln.StartDeviceAsync()).GetProperty("user_code").GetString()!;
        using var ui = await UiSession.SignInAsync(kiln.BaseAddress, "dev@example.com");

        var statuses = await Race.AllAsync(40, i => ui.GetAsync($"/console/device?user_code={WrongCode(i)}"));
        Assert.Equal(5, statuses.Count(HttpStatusCode.BadRequest));
        Assert.Equal(35, statuses.Count(HttpStatusCode.TooManyRequests));

        using (var res = await ui.GetAsync($"/console/device?user_code={right}"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, res.StatusCode);
            Assert.True(res.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");
            var html = await res.Content.ReadAsStringAsync();
            Assert.Contains("Too many wrong codes", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<code>kiln-cli</code>", html, StringComparison.Ordinal); // nothing about the request leaks
        }
        // An approval post counts the same way: refused without looking.
        var token = await ui.TokenAsync("/console/device");
        using (var res = await ui.PostAsync("/console/device", "device", token, ("Input.UserCode", right), ("Input.OrgId", kiln.Demo.OrgId),
                   ("Input.Decision", "approve"), ("Input.Reviewed", right)))
            Assert.Equal(HttpStatusCode.TooManyRequests, res.StatusCode);

        _clock.Advance(TimeSpan.FromMinutes(15));
        using (var res = await ui.GetAsync($"/console/device?user_code={right}"))
        {
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            Assert.Contains("<code>kiln-cli</code>", await res.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Wrong_codes_from_one_address_are_limited_across_users()
    {
        var kiln = Kiln(("Kiln:DeviceMaxFailedCodes", "100"), ("Kiln:DeviceMaxFailedCodesPerAddress", "6"));
        await kiln.CreateUserAsync("one@example.com", kiln.DemoOrg(), "developer");
        await kiln.CreateUserAsync("two@example.com", kiln.DemoOrg(), "developer");
        using var one = await UiSession.SignInAsync(kiln.BaseAddress, "one@example.com");
        using var two = await UiSession.SignInAsync(kiln.BaseAddress, "two@example.com");

        var statuses = await Race.AllAsync(30, i => (i % 2 == 0 ? one : two).GetAsync($"/console/device?user_code={WrongCode(i)}"));
        Assert.Equal(6, statuses.Count(HttpStatusCode.BadRequest));
        Assert.Equal(24, statuses.Count(HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task A_burst_of_device_code_requests_from_one_address_gets_exactly_the_limit()
    {
        var kiln = Kiln(("Kiln:DeviceCodeRequestsPerAddress", "5"));
        using var http = kiln.Http();
        var statuses = await Race.AllAsync(40, _ => http.PostFormAsync("/ims/device/code", ("client_id", ConsoleKit.Cli)));
        Assert.Equal(5, statuses.Count(HttpStatusCode.OK));
        Assert.Equal(35, statuses.Count(HttpStatusCode.TooManyRequests));
        Assert.Equal(5, await kiln.WithDbAsync((db, _) => db.DeviceAuthorizations.CountAsync()));

        using (var res = await http.PostFormAsync("/ims/device/code", ("client_id", ConsoleKit.Cli)))
        {
            Assert.True(res.Headers.RetryAfter?.Delta > TimeSpan.Zero, "Retry-After");
            await HttpAssert.OAuthErrorAsync(res, 429, "too_many_requests");
        }
        // Another address is not affected; the window's end lets this one in again.
        using var other = SourceAddress.ClientFrom("127.0.0.2", kiln.BaseAddress);
        await HttpAssert.JsonAsync(await other.PostFormAsync("/ims/device/code", ("client_id", ConsoleKit.Cli)), 200);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await HttpAssert.JsonAsync(await http.PostFormAsync("/ims/device/code", ("client_id", ConsoleKit.Cli)), 200);
    }

    [Fact]
    public async Task Stored_device_codes_are_capped_under_a_burst_and_expired_ones_go_promptly()
    {
        var kiln = Kiln(("Kiln:DeviceCodeRequestsPerAddress", "1000"), ("Kiln:DeviceMaxStoredCodes", "5"));
        using var http = kiln.Http();
        var statuses = await Race.AllAsync(30, _ => http.PostFormAsync("/ims/device/code", ("client_id", ConsoleKit.Cli)));
        Assert.Equal(5, statuses.Count(HttpStatusCode.OK));
        Assert.Equal(25, statuses.Count(HttpStatusCode.TooManyRequests));
        Assert.Equal(5, await kiln.WithDbAsync((db, _) => db.DeviceAuthorizations.CountAsync()));
        using (var res = await http.PostFormAsync("/ims/device/code", ("client_id", ConsoleKit.Cli)))
        {
            Assert.True(res.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(10), "Retry-After until the oldest code is gone");
            await HttpAssert.OAuthErrorAsync(res, 429, "too_many_requests");
        }

        // Ten minutes to expire, one more kept for late polls: then the next request deletes them and gets a code.
        _clock.Advance(TimeSpan.FromMinutes(11) + TimeSpan.FromSeconds(1));
        await HttpAssert.JsonAsync(await http.PostFormAsync("/ims/device/code", ("client_id", ConsoleKit.Cli)), 200);
        Assert.Equal(1, await kiln.WithDbAsync((db, _) => db.DeviceAuthorizations.CountAsync()));
    }
}
