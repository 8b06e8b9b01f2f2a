using Kiln.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>The audit log in the browser: a filter by action and actor, and the CSV of what it shows (docs/console-ui.md#audit-log).</summary>
public sealed class AuditLogTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task FilterByActionAndActorThenDownloadTheCsv()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(FilterByActionAndActorThenDownloadTheCsv));

        // One failed sign-in, then the real one.
        await page.GotoAsync("/console/login");
        await page.GetByLabel("Email").FillAsync(ConsoleUi.AdminEmail);
        await page.GetByLabel("Password").FillAsync("wrong-password-e2e");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("#login-error")).ToBeVisibleAsync();
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));

        await page.GotoAsync($"/console/audit/{demo.OrgId}");
        var rows = page.Locator("#audit tbody tr");
        await Assertions.Expect(rows.Filter(new() { HasText = "Signed in to the console." })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#audit")).Not.ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"\d+@kiln\.local")); // no "<id>@kiln.local" actors
        await shots.TakeAsync("all");

        await page.GetByLabel("Action").SelectOptionAsync(new SelectOptionValue { Label = "Failed sign-ins" });
        await page.GetByLabel("Actor").FillAsync("ADMIN@kiln.local");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("action=user.signin_failed"));
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("Failed to sign in to the console as admin@kiln.local: wrong email or password.");
        await Assertions.Expect(rows.First).ToContainTextAsync("admin@kiln.local");
        await shots.TakeAsync("filtered");

        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#audit-csv").ClickAsync());
        Assert.Equal($"kiln-audit-{demo.OrgId}.csv", download.SuggestedFilename);
        var lines = (await File.ReadAllTextAsync((await download.PathAsync())!)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length); // the header and the one filtered record
        Assert.StartsWith("when_utc,actor_type,actor,actor_name,action,summary", lines[0], StringComparison.Ordinal);
        Assert.Contains(",admin@kiln.local,user.signin_failed,", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-password-e2e", lines[1], StringComparison.Ordinal);
    }
}
