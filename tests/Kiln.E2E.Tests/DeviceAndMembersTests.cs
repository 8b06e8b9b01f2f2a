using Kiln.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>The CLI's sign-in approved in the browser, and member management.</summary>
public sealed class DeviceAndMembersTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task ApprovingADeviceCodeLetsTheDeviceGetAToken()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        using var http = kiln.Http();
        var start = await HttpAssert.JsonAsync(await http.PostFormAsync("/ims/device/code", ("client_id", "kiln-cli")), 200);
        var deviceCode = start.GetProperty("device_code").GetString()!;
        var userCode = start.GetProperty("user_code").GetString()!;
        var verify = new Uri(start.GetProperty("verification_uri_complete").GetString()!);

        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(ApprovingADeviceCodeLetsTheDeviceGetAToken));
        await page.GotoAsync(verify.PathAndQuery);
        Assert.Contains("/console/login", page.Url, StringComparison.Ordinal); // sign in first, then back here
        await page.GetByLabel("Email").FillAsync(ConsoleUi.AdminEmail);
        await page.GetByLabel("Password").FillAsync(ConsoleUi.AdminPassword(kiln));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("User code")).ToHaveValueAsync(userCode);
        await shots.TakeAsync("device-page");

        // Before approval the device is told to wait.
        var pending = await http.PostFormAsync("/ims/token/v3", ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", "kiln-cli"), ("device_code", deviceCode));
        await HttpAssert.OAuthErrorAsync(pending, 400, "authorization_pending");

        await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Assertions.Expect(page.Locator("#result")).ToContainTextAsync("Approved");
        await shots.TakeAsync("approved");

        var res = await http.PostFormAsync("/ims/token/v3", ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", "kiln-cli"), ("device_code", deviceCode));
        var token = (await HttpAssert.JsonAsync(res, 200)).GetProperty("access_token").GetString()!;
        using var cli = kiln.Authed(token, "kiln-cli");
        var orgs = await HttpAssert.JsonAsync(await cli.GetAsync("/console/organizations"), 200);
        Assert.Contains(orgs.EnumerateArray(), o => o.GetProperty("id").GetString() == demo.OrgId);

        // The same code cannot be approved twice.
        await page.GetByLabel("User code").FillAsync(userCode);
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Assertions.Expect(page.Locator("#result")).ToContainTextAsync("already");
    }

    [Fact]
    public async Task AdminInvitesChangesRoleAndRemovesAMember()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(AdminInvitesChangesRoleAndRemovesAMember));
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));
        await page.GetByRole(AriaRole.Link, new() { Name = "Members" }).ClickAsync();

        await page.GetByLabel("Email").FillAsync("dev@example.test");
        await page.GetByLabel("Role", new() { Exact = true }).SelectOptionAsync("developer");
        await page.GetByRole(AriaRole.Button, new() { Name = "Invite" }).ClickAsync();
        var password = (await page.Locator("#new-password").InnerTextAsync()).Trim();
        await Assertions.Expect(page.Locator("#members tr[data-email='dev@example.test']")).ToContainTextAsync("dev@example.test");
        await shots.TakeAsync("invited");

        // The new developer signs in with the one-time password and cannot see the members page.
        var devPage = await browser.NewPageAsync(kiln.BaseAddress);
        await ConsoleUi.SignInAsync(devPage, "dev@example.test", password);
        await Assertions.Expect(devPage.GetByRole(AriaRole.Heading, new() { Name = "Projects" })).ToBeVisibleAsync();
        await Assertions.Expect(devPage.GetByRole(AriaRole.Link, new() { Name = "Members" })).ToHaveCountAsync(0);
        var denied = await devPage.GotoAsync($"/console/members/{demo.OrgId}");
        Assert.Equal(403, denied!.Status);

        // Promote, then remove.
        await page.GetByLabel("Role of dev@example.test").SelectOptionAsync("admin");
        await page.Locator("#members tr[data-email='dev@example.test']").GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("dev@example.test is now admin");
        await shots.TakeAsync("promoted");
        await page.GetByRole(AriaRole.Link, new() { Name = "Remove dev@example.test" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove member" }).ClickAsync();
        await Assertions.Expect(page.Locator("#members tr[data-email='dev@example.test']")).ToHaveCountAsync(0);
        await shots.TakeAsync("removed");

        // Removed: the org's pages answer 404 for them now.
        var gone = await devPage.GotoAsync($"/console/projects/{demo.OrgId}");
        Assert.Equal(404, gone!.Status);
    }
}
