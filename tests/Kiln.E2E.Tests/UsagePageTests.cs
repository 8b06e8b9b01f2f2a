using Kiln.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>The usage page (docs/console-ui.md#usage) shows the images that were generated, for the org and for its project.</summary>
public sealed class UsagePageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task UsagePageShowsTheGeneratedImagesForTheOrgAndTheProject()
    {
        using var kiln = new KilnFactory().With("Kiln:Quotas:Org:PerDay", "50");
        var demo = kiln.Start();
        using (var http = await kiln.DemoClientAsync())
        {
            await HttpAssert.JsonAsync(await PostAsync(http, "/v3/images/generate", """{"prompt":"a cat","numVariations":3,"size":{"width":1024,"height":1024}}"""), 200);
            var job = await HttpAssert.JsonAsync(await PostAsync(http, "/v3/images/generate-async",
                """{"prompt":"a dog","numVariations":2,"size":{"width":1024,"height":1024}}"""), 202);
            var until = DateTime.UtcNow.AddSeconds(60);
            while ((await HttpAssert.JsonAsync(await http.GetAsync(job.GetProperty("statusUrl").GetString()), 200)).GetProperty("status").GetString() != "succeeded")
            {
                Assert.True(DateTime.UtcNow < until, "the job did not succeed");
                await Task.Delay(100);
            }
        }
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(UsagePageShowsTheGeneratedImagesForTheOrgAndTheProject));
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));

        await page.Locator("#usage-link").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Usage", Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#total-images")).ToHaveTextAsync("5");
        await Assertions.Expect(page.Locator("#total-requests")).ToHaveTextAsync("2");
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        await Assertions.Expect(page.Locator("#usage tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#usage tbody tr").First).ToContainTextAsync(today);
        await Assertions.Expect(page.Locator("#usage tbody td.images")).ToHaveTextAsync("5");
        await Assertions.Expect(page.Locator("#quotas")).ToContainTextAsync("5 / 50");
        await shots.TakeAsync("org-usage");

        await page.SelectOptionAsync("#u-group", "operation");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Assertions.Expect(page.Locator("#usage tbody tr")).ToContainTextAsync("generate");

        await page.GotoAsync($"/console/projects/{demo.OrgId}/{demo.ProjectId}/overview");
        await page.Locator("#usage-link").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Usage of Demo project" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#total-images")).ToHaveTextAsync("5");
        await shots.TakeAsync("project-usage");
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string json) =>
        http.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
}
