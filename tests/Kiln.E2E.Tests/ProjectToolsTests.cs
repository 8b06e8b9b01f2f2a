using System.Net;
using System.Text.Json;
using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>
/// The console's last paths to REST operations (docs/console-ui.md#the-ui-path-for-each-rest-operation): setting quotas on the
/// usage page (admins only), the project menu's "Audit" narrowed to the project, and the project overview's "Download".
/// </summary>
public sealed class ProjectToolsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task An_admin_sets_limits_on_the_usage_page_through_the_quota_operation_and_a_developer_cannot()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(An_admin_sets_limits_on_the_usage_page_through_the_quota_operation_and_a_developer_cannot));
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));

        await page.GotoAsync($"/console/usage/{demo.OrgId}");
        await page.GetByLabel("Level").SelectOptionAsync($"project:{demo.ProjectId}");
        await page.GetByLabel("Images per day").FillAsync("7");
        await page.GetByLabel("Images per month").FillAsync("300");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set limits" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("Limits of Project demo set: the default per minute, 7 per day, 300 per month.");
        Assert.Equal($"/console/usage/{demo.OrgId}", new Uri(page.Url).AbsolutePath);
        await Assertions.Expect(page.Locator("#quotas tbody tr", new() { HasText = "project demo" })).ToContainTextAsync("0 / 7");
        await shots.TakeAsync("project-limits-set");

        // The same limits through REST, and one quota.set record.
        using var http = await kiln.DemoClientAsync(KilnFactory.IoScopes);
        var quota = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/quotas"), 200);
        Assert.Equal(JsonValueKind.Null, quota.GetProperty("limits").GetProperty("per_minute").ValueKind);
        Assert.Equal(7, quota.GetProperty("limits").GetProperty("per_day").GetInt32());
        Assert.Equal(300, quota.GetProperty("limits").GetProperty("per_month").GetInt32());
        Assert.Equal(1, await CountAsync(kiln, db => db.AuditRecords.CountAsync(a => a.Action == "quota.set" && a.Target == "project:" + demo.ProjectId)));

        // The credential level, from the project's usage page (its levels: the project and its credentials).
        await page.GotoAsync($"/console/projects/{demo.OrgId}/{demo.ProjectId}/usage");
        await Assertions.Expect(page.Locator("#q-level option")).ToHaveCountAsync(2);
        await page.GetByLabel("Level").SelectOptionAsync($"credential:{demo.CredentialId}");
        await page.GetByLabel("Images per minute").FillAsync("3");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set limits" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("Limits of Credential Demo credential set: 3 per minute");
        await Assertions.Expect(page.Locator("#quotas tbody tr", new() { HasText = "credential Demo credential" })).ToContainTextAsync("0 / 3");
        var credQuota = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/quotas"), 200);
        Assert.Equal(3, credQuota.GetProperty("limits").GetProperty("per_minute").GetInt32());

        // A limit out of range is refused by the server (the browser's own check switched off) with its status, and changes nothing.
        await page.EvaluateAsync("() => document.getElementById('set-limits').noValidate = true");
        await page.GetByLabel("Level").SelectOptionAsync($"project:{demo.ProjectId}");
        await page.GetByLabel("Images per day").FillAsync("0");
        var refused = await page.RunAndWaitForResponseAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Set limits" }).ClickAsync(),
            r => r.Request.Method == "POST");
        Assert.Equal(400, refused.Status);
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("per_day must be null or between 1 and 1000000000");
        quota = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/quotas"), 200);
        Assert.Equal(7, quota.GetProperty("limits").GetProperty("per_day").GetInt32());

        // A developer sees the limits but no form, and a post of the form changes nothing (the REST API's 403 rule).
        await page.GotoAsync($"/console/members/{demo.OrgId}");
        await page.GetByLabel("Email").FillAsync("quota-dev@example.test");
        await page.GetByRole(AriaRole.Button, new() { Name = "Invite" }).ClickAsync();
        var password = (await page.Locator("#new-password").InnerTextAsync()).Trim();
        using var ui = new UiClient(kiln.BaseAddress);
        Assert.Equal(HttpStatusCode.Redirect, (await ui.SignInAsync("quota-dev@example.test", password)).StatusCode);
        var (devPage, html) = await ui.GetAsync($"/console/usage/{demo.OrgId}");
        Assert.Equal(HttpStatusCode.OK, devPage.StatusCode);
        Assert.DoesNotContain("id=\"set-limits\"", html, StringComparison.Ordinal);
        Assert.Contains("Only the org's admins can set limits.", html, StringComparison.Ordinal);
        var post = await ui.PostFormAsync($"/console/usage/{demo.OrgId}", "set-limits", true,
            ("Limits.Level", $"org:{demo.OrgId}"), ("Limits.PerDay", "1"));
        Assert.True((int)post.StatusCode is >= 400 and < 500, $"a developer's post answered {(int)post.StatusCode}");
        var orgQuota = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/quotas"), 200);
        Assert.Equal(JsonValueKind.Null, orgQuota[0].GetProperty("limits").GetProperty("per_day").ValueKind);
    }

    [Fact]
    public async Task The_project_menus_audit_shows_only_the_projects_records_with_filters_and_csv()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        using (var http = await kiln.DemoClientAsync(KilnFactory.IoScopes))
        {
            await NewCredentialAsync(http, demo.OrgId, demo.ProjectId, demo.WorkspaceId, "mine-cred");
            var (otherProject, otherWorkspace) = await NewProjectAsync(http, demo.OrgId, "audit-other");
            await NewCredentialAsync(http, demo.OrgId, otherProject, otherWorkspace, "other-cred");
        }
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(The_project_menus_audit_shows_only_the_projects_records_with_filters_and_csv));
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));

        // The org's log has both projects' records.
        await page.GotoAsync($"/console/audit/{demo.OrgId}");
        await Assertions.Expect(page.Locator("#audit")).ToContainTextAsync("other-cred");
        await Assertions.Expect(page.Locator("#audit")).ToContainTextAsync("mine-cred");

        // The project's "Audit" has only the demo project's.
        await page.GotoAsync($"/console/projects/{demo.OrgId}/{demo.ProjectId}/overview");
        await page.GetByRole(AriaRole.Navigation, new() { Name = "Project" }).GetByRole(AriaRole.Link, new() { Name = "Audit" }).ClickAsync();
        Assert.Equal($"/console/projects/{demo.OrgId}/{demo.ProjectId}/audit", new Uri(page.Url).AbsolutePath);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Audit of Demo project" })).ToBeVisibleAsync();
        var audit = page.Locator("#audit");
        await Assertions.Expect(audit).ToContainTextAsync("mine-cred");
        await Assertions.Expect(audit).Not.ToContainTextAsync("other-cred");
        await Assertions.Expect(audit).Not.ToContainTextAsync("audit-other");
        await Assertions.Expect(audit).Not.ToContainTextAsync("Signed in to the console."); // a sign-in is about no project
        await shots.TakeAsync("project-audit");

        // The action filter keeps the project.
        await page.GetByLabel("Action").SelectOptionAsync(new SelectOptionValue { Label = "Credentials" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        Assert.Equal($"/console/projects/{demo.OrgId}/{demo.ProjectId}/audit", new Uri(page.Url).AbsolutePath);
        var rows = page.Locator("#audit tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First).ToContainTextAsync("mine-cred");
        await Assertions.Expect(rows.First.Locator("td[data-label='Action']")).ToHaveTextAsync("credential.create");

        // The actor and date filters too: no record by that actor, none on a day long gone.
        await page.GetByLabel("Action").SelectOptionAsync(new SelectOptionValue { Label = "All actions" });
        await page.GetByLabel("Actor").FillAsync("nobody@example.test");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(0);
        await page.GotoAsync($"/console/projects/{demo.OrgId}/{demo.ProjectId}/audit?to=2001-01-01");
        await Assertions.Expect(rows).ToHaveCountAsync(0);

        // The CSV of the project's view.
        await page.GotoAsync($"/console/projects/{demo.OrgId}/{demo.ProjectId}/audit");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#audit-csv").ClickAsync());
        Assert.Equal($"kiln-audit-{demo.OrgId}-{demo.ProjectId}.csv", download.SuggestedFilename);
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains("mine-cred", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("other-cred", csv, StringComparison.Ordinal);
        Assert.DoesNotContain("audit-other", csv, StringComparison.Ordinal);

        // An unknown project is not found.
        Assert.Equal(404, (await page.GotoAsync($"/console/projects/{demo.OrgId}/123456789012345678/audit"))!.Status);
        Assert.Equal(404, (await page.Context.APIRequest.GetAsync($"/console/audit/{demo.OrgId}/export.csv?project=123456789012345678")).Status);
        Assert.Equal(404, (await page.Context.APIRequest.GetAsync($"/console/audit/{demo.OrgId}/export.csv?project=x")).Status);
        Assert.Equal(200, (await page.Context.APIRequest.GetAsync($"/console/audit/{demo.OrgId}/export.csv?project={demo.ProjectId}")).Status);
    }

    [Fact]
    public async Task The_project_overview_downloads_the_project_json_with_or_without_new_secrets()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        using (var http = await kiln.DemoClientAsync(KilnFactory.IoScopes))
        {
            var ws = await HttpAssert.JsonAsync(await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces",
                new { name = "Staging" }), 201);
            await NewCredentialAsync(http, demo.OrgId, demo.ProjectId, ws.GetProperty("workspaceId").GetString()!, "staging-cred", "FireflyAPI");
        }
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(The_project_overview_downloads_the_project_json_with_or_without_new_secrets));
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));
        await page.GotoAsync($"/console/projects/{demo.OrgId}/{demo.ProjectId}/overview");
        await shots.TakeAsync("overview");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download project JSON" }).ClickAsync());
        Assert.Equal($"{demo.OrgId}-demo.json", download.SuggestedFilename);
        var plain = JsonDocument.Parse(await File.ReadAllTextAsync((await download.PathAsync())!)).RootElement.GetProperty("project");
        Assert.Equal(demo.ProjectId, plain.GetProperty("id").GetString());
        Assert.Equal(demo.OrgCode, plain.GetProperty("org").GetProperty("ims_org_id").GetString());
        var workspaces = plain.GetProperty("workspaces").EnumerateArray().ToList();
        Assert.Equal(["Production", "Staging"], workspaces.Select(w => w.GetProperty("name").GetString()!).ToArray());
        Assert.Equal(["Demo credential"], Names(workspaces[0]));
        Assert.Equal(["staging-cred"], Names(workspaces[1]));
        Assert.DoesNotContain("kiln_s2s_", plain.GetRawText(), StringComparison.Ordinal);
        Assert.Equal(new Uri(page.Url).AbsolutePath, $"/console/projects/{demo.OrgId}/{demo.ProjectId}/overview");

        var before = await CountAsync(kiln, db => db.ClientSecrets.CountAsync());
        download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download project with a new secret" }).ClickAsync());
        var fresh = JsonDocument.Parse(await File.ReadAllTextAsync((await download.PathAsync())!)).RootElement.GetProperty("project");
        var s2s = fresh.GetProperty("workspaces").EnumerateArray().SelectMany(w => w.GetProperty("details").GetProperty("credentials").EnumerateArray())
            .Select(c => c.GetProperty("oauth_server_to_server")).ToList();
        Assert.Equal(2, s2s.Count);
        Assert.All(s2s, s => Assert.StartsWith("kiln_s2s_", Assert.Single(s.GetProperty("client_secrets").EnumerateArray()).GetString(), StringComparison.Ordinal));
        Assert.Equal(before + 2, await CountAsync(kiln, db => db.ClientSecrets.CountAsync()));
        var token = await kiln.TokenAsync(s2s[1].GetProperty("client_id").GetString()!, s2s[1].GetProperty("client_secrets")[0].GetString()!, "firefly_api");
        Assert.False(string.IsNullOrEmpty(token));

        // The demo credential is now at its limit of 2: a second "with a new secret" adds nothing and says why.
        await page.GetByRole(AriaRole.Button, new() { Name = "Download project with a new secret" }).ClickAsync();
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("Nothing was downloaded");
        Assert.Equal(before + 2, await CountAsync(kiln, db => db.ClientSecrets.CountAsync()));
        await shots.TakeAsync("limit");
    }

    private static async Task<(string ProjectId, string WorkspaceId)> NewProjectAsync(HttpClient http, string orgId, string name)
    {
        var json = await HttpAssert.JsonAsync(await http.PostJsonAsync($"/console/organizations/{orgId}/projects",
            new { name, title = name + " title", type = "default" }), 201);
        return (json.GetProperty("projectId").GetString()!, json.GetProperty("workspaceId").GetString()!);
    }

    private static async Task NewCredentialAsync(HttpClient http, string orgId, string projectId, string workspaceId, string name, params string[] sdkCodes) =>
        await HttpAssert.JsonAsync(await http.PostJsonAsync($"/console/organizations/{orgId}/projects/{projectId}/workspaces/{workspaceId}/credentials/oauth-server-to-server",
            new { name, services = sdkCodes.Select(s => new { sdkCode = s }) }), 200);

    private static string[] Names(JsonElement workspace) =>
        workspace.GetProperty("details").GetProperty("credentials").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray();

    private static async Task<T> CountAsync<T>(KilnFactory kiln, Func<KilnDb, Task<T>> query)
    {
        using var scope = kiln.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<KilnDb>());
    }
}
