using System.Net;
using System.Text.Json;
using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>
/// The UI paths the REST API had and the console lacked (docs/console-ui.md#the-ui-path-for-each-rest-operation), each
/// checked by its effect over HTTP: removing an API, deleting a credential or a workspace (tokens revoked at once,
/// readable audit), renaming a credential, downloading the workspace file with a new secret.
/// </summary>
public sealed class ConsolePathsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string UnknownJob = "/v3/status/urn:ff:jobs:kiln:00000000-0000-4000-8000-000000000000";

    private static async Task<string> AuditDetailAsync(KilnFactory kiln, string action)
    {
        using var scope = kiln.Services.CreateScope();
        return (await scope.ServiceProvider.GetRequiredService<KilnDb>().AuditRecords.Where(a => a.Action == action)
            .OrderByDescending(a => a.Id).FirstAsync()).Detail;
    }

    [Fact]
    public async Task Removing_an_api_in_the_ui_stops_issued_tokens_for_it_and_deleting_the_credential_revokes_them()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(Removing_an_api_in_the_ui_stops_issued_tokens_for_it_and_deleting_the_credential_revokes_them));
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));
        using var issued = kiln.Authed(await kiln.TokenAsync(demo.ClientId, demo.ClientSecret, KilnFactory.FireflyScopes + "," + KilnFactory.IoScopes), demo.ClientId);
        Assert.Equal(HttpStatusCode.NotFound, (await issued.GetAsync(UnknownJob)).StatusCode);

        await page.GotoAsync($"/console/projects/{demo.OrgId}/{demo.ProjectId}/apis");
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove Firefly API from Demo credential" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("Firefly API was removed from Demo credential");
        // The list now offers Firefly again, and only it.
        await Assertions.Expect(page.GetByLabel("API to add to Demo credential").Locator("option")).ToHaveTextAsync(["Firefly API"]);
        await shots.TakeAsync("api-removed");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        HttpResponseMessage res;
        while ((res = await issued.GetAsync(UnknownJob)).StatusCode != HttpStatusCode.Forbidden && clock.Elapsed < TimeSpan.FromSeconds(1))
            await Task.Delay(20);
        Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await issued.GetAsync("/console/organizations")).StatusCode); // the I/O Management API stays

        // Rename the credential and give it a description: the REST API sees it.
        await page.GetByRole(AriaRole.Link, new() { Name = "Demo credential", Exact = true }).ClickAsync();
        await page.GetByLabel("Credential name").FillAsync("Shop images");
        await page.GetByLabel("Credential description").FillAsync("Renders product shots");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Shop images", Exact = true })).ToBeVisibleAsync();
        var integration = await HttpAssert.JsonAsync(await issued.GetAsync($"/console/organizations/{demo.OrgId}/integrations/{demo.CredentialId}"), 200);
        Assert.Equal("Shop images", integration.GetProperty("name").GetString());
        Assert.Equal("Renders product shots", integration.GetProperty("description").GetString());
        await shots.TakeAsync("renamed");

        // Delete it: the page says what goes, the name must be typed, the token dies at once, the audit says so.
        await page.GetByRole(AriaRole.Link, new() { Name = "Delete credential…" }).ClickAsync();
        await Assertions.Expect(page.Locator("#warning")).ToContainTextAsync("1 client secret");
        await page.GetByLabel("Type the credential name").FillAsync("Demo credential");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete credential" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("does not match");
        Assert.Equal(HttpStatusCode.OK, (await issued.GetAsync("/console/organizations")).StatusCode);
        await page.GetByLabel("Type the credential name").FillAsync("Shop images");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete credential" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("Shop images was deleted");
        await shots.TakeAsync("deleted");
        Assert.Equal(HttpStatusCode.Unauthorized, (await issued.GetAsync("/console/organizations")).StatusCode);
        Assert.Equal("Credential Shop images deleted with 1 client secret; its tokens were revoked", await AuditDetailAsync(kiln, "credential.delete"));
    }

    [Fact]
    public async Task Workspaces_are_added_renamed_downloaded_with_a_new_secret_and_deleted_with_their_credentials()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(Workspaces_are_added_renamed_downloaded_with_a_new_secret_and_deleted_with_their_credentials));
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));

        // "Add to project" → Workspace.
        await page.GotoAsync($"/console/projects/{demo.OrgId}/{demo.ProjectId}/overview");
        await page.Locator("#add-to-project summary").ClickAsync();
        await page.Locator("#add-to-project").GetByRole(AriaRole.Link, new() { Name = "Workspace" }).ClickAsync();
        await page.GetByLabel("Workspace name").FillAsync("Staging");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add workspace" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Staging", Exact = true }).ClickAsync();
        await page.GetByLabel("Workspace name").FillAsync("Testing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Workspace Testing" })).ToBeVisibleAsync();
        await shots.TakeAsync("workspace");

        // A credential in it, with the Firefly API.
        await page.GetByRole(AriaRole.Link, new() { Name = "Credentials", Exact = true }).ClickAsync();
        await page.GetByLabel("Credential name").FillAsync("qa-credential");
        await page.GetByLabel("Workspace").SelectOptionAsync(new SelectOptionValue { Label = "Testing" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Add credential" }).ClickAsync();
        var clientId = (await page.Locator("#new-client-id").InnerTextAsync()).Trim();
        var secret = (await page.Locator("#new-credential-secret").InnerTextAsync()).Trim();
        await page.GetByRole(AriaRole.Link, new() { Name = "APIs", Exact = true }).ClickAsync();
        await page.GetByLabel("API to add to qa-credential").SelectOptionAsync(new SelectOptionValue { Label = "Firefly API" });
        await page.Locator("section[data-credential='qa-credential']").GetByRole(AriaRole.Button, new() { Name = "Add API" }).ClickAsync();
        await Assertions.Expect(page.Locator("#granted")).ToContainTextAsync("firefly_api");

        // Download: the plain file has no secret; "with a new secret" has one that mints tokens.
        await page.GetByRole(AriaRole.Link, new() { Name = "Overview", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Testing", Exact = true }).ClickAsync();
        var plain = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download JSON" }).ClickAsync());
        var plainFile = JsonDocument.Parse(await File.ReadAllTextAsync((await plain.PathAsync())!)).RootElement;
        var s2s = plainFile.GetProperty("project").GetProperty("org").GetProperty("workspace").GetProperty("details").GetProperty("credentials")[0].GetProperty("oauth_server_to_server");
        Assert.Equal(clientId, s2s.GetProperty("client_id").GetString());
        Assert.Equal(0, s2s.GetProperty("client_secrets").GetArrayLength());
        var fresh = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download with a new secret" }).ClickAsync());
        var freshFile = JsonDocument.Parse(await File.ReadAllTextAsync((await fresh.PathAsync())!)).RootElement;
        var newSecret = freshFile.GetProperty("project").GetProperty("org").GetProperty("workspace").GetProperty("details").GetProperty("credentials")[0]
            .GetProperty("oauth_server_to_server").GetProperty("client_secrets")[0].GetString()!;
        using var issued = kiln.Authed(await kiln.TokenAsync(clientId, newSecret, KilnFactory.FireflyScopes), clientId);
        Assert.Equal(HttpStatusCode.NotFound, (await issued.GetAsync(UnknownJob)).StatusCode);
        // At the limit (2 secrets) a second download with a new secret is refused, and says why.
        await page.GetByRole(AriaRole.Button, new() { Name = "Download with a new secret" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Nothing was downloaded");
        await shots.TakeAsync("download-refused");

        // Delete the workspace: it names the credential that goes with it; its tokens die at once.
        await page.GetByRole(AriaRole.Link, new() { Name = "Delete workspace…" }).ClickAsync();
        await Assertions.Expect(page.Locator("#warning")).ToContainTextAsync("qa-credential");
        await page.GetByLabel("Type the workspace name").FillAsync("Testing");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete workspace" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("Testing was deleted");
        await shots.TakeAsync("workspace-deleted");
        Assert.Equal(HttpStatusCode.Unauthorized, (await issued.GetAsync(UnknownJob)).StatusCode);
        using (var http = kiln.Http())
        {
            var res = await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret));
            await HttpAssert.OAuthErrorAsync(res, 400, "invalid_client");
        }
        Assert.Equal("Workspace Testing deleted with 1 credential and their client secrets; their tokens were revoked", await AuditDetailAsync(kiln, "workspace.delete"));
    }
}
