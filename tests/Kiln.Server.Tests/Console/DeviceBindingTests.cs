using System.Net;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// A user token acts in the one org it was approved for, and the approval page shows who asks before "Approve"
/// (docs/console.md#cli-sign-in-the-device-flow-rfc-8628).
/// </summary>
public sealed class DeviceBindingTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2031, 3, 4, 5, 6, 7, 891, TimeSpan.Zero));
    private readonly KilnFactory _kiln;

    public DeviceBindingTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task A_token_approved_for_one_org_acts_in_no_other_org_of_the_user()
    {
        var demo = _kiln.Start();
        var b = await _kiln.CreateOrgAsync("Org B");
        // Admin in the demo org (A), developer in B; the token is approved for B.
        var user = await _kiln.CreateUserAsync("two-orgs@example.com", _kiln.DemoOrg(), "admin");
        await _kiln.WithDbAsync(async (db, _) =>
        {
            db.OrgMemberships.Add(new Kiln.Server.Data.OrgMembership { OrgId = b.OrgId, UserId = user, Role = "developer", CreatedAt = _clock.GetUtcNow() });
            return await db.SaveChangesAsync();
        });
        var http = await _kiln.UserClientAsync(user, b.OrgId);

        // In B: a developer.
        await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{b.OrgId}/projects"), 200);
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{b.OrgId}/members"), 403, "access_error");

        // In A, where the user is an admin: nothing, answered like any org that is not the caller's.
        var a = demo.OrgId;
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{a}/members"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync($"/console/organizations/{a}/members",
            new { email = "intruder@example.com", role = "admin" }), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{a}/projects"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{a}/credentials/{demo.CredentialId}/secrets"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{a}/services"), 404, "not_found");
        Assert.False(await _kiln.WithDbAsync((db, _) => Task.FromResult(db.Users.Any(u => u.Email == "intruder@example.com"))));

        // The org lists name B only.
        var orgs = await HttpAssert.JsonAsync(await http.GetAsync("/console/organizations"), 200);
        Assert.Equal(b.OrgId.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(orgs.EnumerateArray()).Id());
        var ims = await HttpAssert.JsonAsync(await http.GetAsync("/ims/organizations/v6"), 200);
        Assert.Equal(b.OrgCode, Assert.Single(ims.EnumerateArray()).GetProperty("orgCode").GetString());

        // A token approved for A acts in A with the admin role there, and not in B.
        var inA = await _kiln.UserClientAsync(user, _kiln.DemoOrg());
        await HttpAssert.JsonAsync(await inA.GetAsync($"/console/organizations/{a}/members"), 200);
        await HttpAssert.GatewayErrorAsync(await inA.GetAsync($"/console/organizations/{b.OrgId}/projects"), 404, "not_found");
    }

    [Fact]
    public async Task The_approval_page_shows_the_client_scopes_and_time_and_approves_only_what_it_showed()
    {
        _kiln.Start();
        await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var asked = _clock.GetUtcNow();
        var start = await _kiln.StartDeviceAsync("openid,read_organizations");
        var code = start.GetProperty("user_code").GetString()!;
        var deviceCode = start.GetProperty("device_code").GetString()!;
        using var ui = await UiSession.SignInAsync(_kiln.BaseAddress, "dev@example.com");

        // A code typed in and approved straight away is shown first, not approved.
        var token = await ui.TokenAsync("/console/device");
        using (var res = await ui.PostAsync("/console/device", "device", token, ("Input.UserCode", code), ("Input.OrgId", demoOrg()),
                   ("Input.Decision", "approve")))
        {
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
            var html = WebUtility.HtmlDecode(await res.Content.ReadAsStringAsync());
            Assert.Contains("Check the request below", html, StringComparison.Ordinal);
            AssertShowsRequest(html, asked);
        }
        await HttpAssert.OAuthErrorAsync(await _kiln.PollAsync(deviceCode), 400, "authorization_pending");

        // The link the command line prints shows the request at once.
        var page = WebUtility.HtmlDecode(await ui.GetStringAsync($"/console/device?user_code={code}"));
        AssertShowsRequest(page, asked);

        // Approving what was shown signs the command line in.
        using (var res = await ui.PostAsync("/console/device", "device", token, ("Input.UserCode", code), ("Input.OrgId", demoOrg()),
                   ("Input.Decision", "approve"), ("Input.Reviewed", code.Replace("-", "", StringComparison.Ordinal))))
        {
            // Post/redirect/get (docs/console-ui.md#forms-and-notices): the outcome is on the page the redirect leads to.
            Assert.Equal(HttpStatusCode.Found, res.StatusCode);
            Assert.Contains("Approved.", await ui.GetStringAsync(res.Headers.Location!.ToString()), StringComparison.Ordinal);
        }
        _clock.Advance(TimeSpan.FromSeconds(6));
        await HttpAssert.JsonAsync(await _kiln.PollAsync(deviceCode), 200);

        string demoOrg() => _kiln.Demo.OrgId;
    }

    private static void AssertShowsRequest(string html, DateTimeOffset asked)
    {
        Assert.Contains("<code>kiln-cli</code>", html, StringComparison.Ordinal);
        Assert.Contains("openid, read_organizations", html, StringComparison.Ordinal);
        Assert.Contains(Kiln.Server.Web.UiText.Time(asked), html, StringComparison.Ordinal); // the console's one time format (docs/console-ui.md#pages)
    }
}
