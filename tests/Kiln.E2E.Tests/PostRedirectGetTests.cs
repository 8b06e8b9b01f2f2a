using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>
/// Post/redirect/get for every console form (docs/console-ui.md#forms-and-notices): after each successful post the
/// browser is on a GET page, so a reload or Back then Forward repeats nothing. Each step counts what the forms change in
/// the database (rows, names, and the audit records, which every action writes, token mints included) before and after.
/// </summary>
public sealed class PostRedirectGetTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Reload_and_back_after_every_form_repeat_nothing()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(Reload_and_back_after_every_form_repeat_nothing));
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));
        await RepeatNothingAsync(page, kiln, shots, "sign-in");

        // Projects: create, edit.
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("prg-project");
        await page.GetByLabel("Description").FillAsync("made once");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("prg-project created");
        await RepeatNothingAsync(page, kiln, shots, "create-project");
        await Assertions.Expect(page.Locator("#project-description")).ToHaveTextAsync("made once");

        await page.Locator("#r-desc").FillAsync("described twice? no, once");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#project-description")).ToHaveTextAsync("described twice? no, once");
        await RepeatNothingAsync(page, kiln, shots, "rename-project");

        // Workspaces: add, rename.
        await page.GetByLabel("Workspace name").FillAsync("Staging");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add workspace" }).ClickAsync();
        await Assertions.Expect(page.Locator("#workspaces tr[data-name='Staging']")).ToHaveCountAsync(1);
        await RepeatNothingAsync(page, kiln, shots, "add-workspace");
        await page.GetByRole(AriaRole.Link, new() { Name = "Staging", Exact = true }).ClickAsync();
        await page.GetByLabel("Workspace name").FillAsync("Staging2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("Staging2");
        await RepeatNothingAsync(page, kiln, shots, "rename-workspace");

        // Credentials: add (its secret shown once), edit.
        await page.GetByRole(AriaRole.Link, new() { Name = "Credentials", Exact = true }).ClickAsync();
        await page.GetByLabel("Credential name").FillAsync("prg-credential");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add credential" }).ClickAsync();
        await Assertions.Expect(page.Locator("#new-credential-secret")).ToContainTextAsync("kiln_s2s_");
        Assert.DoesNotContain("kiln_s2s_", page.Url, StringComparison.Ordinal);
        await RepeatNothingAsync(page, kiln, shots, "add-credential");
        await Assertions.Expect(page.Locator("#new-credential-secret")).ToHaveCountAsync(0); // shown once

        // APIs: add, remove.
        await page.GetByRole(AriaRole.Link, new() { Name = "APIs", Exact = true }).ClickAsync();
        await page.GetByLabel("API to add to prg-credential").SelectOptionAsync(new SelectOptionValue { Label = "Firefly API" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Add API" }).First.ClickAsync();
        await Assertions.Expect(page.Locator("#granted")).ToContainTextAsync("firefly_api");
        await RepeatNothingAsync(page, kiln, shots, "add-api");
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove Firefly API from prg-credential" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("Firefly API was removed from prg-credential");
        await RepeatNothingAsync(page, kiln, shots, "remove-api");
        await page.GetByLabel("API to add to prg-credential").SelectOptionAsync(new SelectOptionValue { Label = "Firefly API" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Add API" }).First.ClickAsync();
        await Assertions.Expect(page.Locator("#granted")).ToContainTextAsync("firefly_api");

        // The credential page: add a secret, generate a token, edit, delete a secret.
        await page.Locator("section[data-credential='prg-credential'] h2 a").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Add secret" }).ClickAsync();
        await Assertions.Expect(page.Locator("#new-secret-value")).ToContainTextAsync("kiln_s2s_");
        await RepeatNothingAsync(page, kiln, shots, "add-secret");
        await Assertions.Expect(page.Locator("#new-secret-value")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add secret" })).ToBeDisabledAsync(); // at the limit of 2
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate access token" }).ClickAsync();
        await Assertions.Expect(page.Locator("#token-value")).Not.ToBeEmptyAsync();
        await RepeatNothingAsync(page, kiln, shots, "generate-token");
        await page.GetByLabel("Credential description").FillAsync("the PRG credential");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#credential-description")).ToHaveTextAsync("the PRG credential");
        await RepeatNothingAsync(page, kiln, shots, "edit-credential");
        await page.Locator("#secrets tbody tr a", new() { HasText = "Delete" }).First.ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete secret" }).ClickAsync();
        await Assertions.Expect(page.Locator("#secrets tbody tr")).ToHaveCountAsync(1);
        await RepeatNothingAsync(page, kiln, shots, "delete-secret");

        // Download with a new secret: the answer is the file, the page stays; nothing more is added on reload.
        await page.GetByRole(AriaRole.Link, new() { Name = "Overview", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Production", Exact = true }).ClickAsync();
        var secretsBefore = await CountAsync(kiln, db => db.ClientSecrets.CountAsync());
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download with a new secret" }).ClickAsync());
        var json = await File.ReadAllTextAsync((await download.PathAsync())!);
        Assert.Contains("kiln_s2s_", json, StringComparison.Ordinal);
        Assert.Equal(secretsBefore + 1, await CountAsync(kiln, db => db.ClientSecrets.CountAsync()));
        await RepeatNothingAsync(page, kiln, shots, "download");

        // Delete the credential, then the workspace (type the names).
        await page.GetByRole(AriaRole.Link, new() { Name = "Credentials", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Delete credential prg-credential" }).ClickAsync();
        await page.GetByLabel("Type the credential name").FillAsync("prg-credential");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete credential" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("prg-credential was deleted");
        await RepeatNothingAsync(page, kiln, shots, "delete-credential");
        await page.GetByRole(AriaRole.Link, new() { Name = "Overview", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Staging2", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Delete workspace…" }).ClickAsync();
        await page.GetByLabel("Type the workspace name").FillAsync("Staging2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete workspace" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("Staging2 was deleted");
        await RepeatNothingAsync(page, kiln, shots, "delete-workspace");

        // Quotas: set a project's limits on the usage page.
        await page.GotoAsync($"/console/usage/{demo.OrgId}");
        await page.GetByLabel("Level").SelectOptionAsync(new SelectOptionValue { Label = "Project prg-project" });
        await page.GetByLabel("Images per day").FillAsync("5");
        await page.GetByRole(AriaRole.Button, new() { Name = "Set limits" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("Limits of Project prg-project set");
        await RepeatNothingAsync(page, kiln, shots, "set-limits");

        // The project download with a new secret (the demo project: its credential has room for one): the file, once.
        await page.GotoAsync($"/console/projects/{demo.OrgId}/{demo.ProjectId}/overview");
        secretsBefore = await CountAsync(kiln, db => db.ClientSecrets.CountAsync());
        download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download project with a new secret" }).ClickAsync());
        Assert.Contains("kiln_s2s_", await File.ReadAllTextAsync((await download.PathAsync())!), StringComparison.Ordinal);
        Assert.Equal(secretsBefore + 1, await CountAsync(kiln, db => db.ClientSecrets.CountAsync()));
        await RepeatNothingAsync(page, kiln, shots, "project-download");

        // Members: invite (a one-time password), change a role, remove.
        await page.GotoAsync($"/console/members/{demo.OrgId}");
        await page.GetByLabel("Email").FillAsync("prg@example.test");
        await page.GetByRole(AriaRole.Button, new() { Name = "Invite" }).ClickAsync();
        await Assertions.Expect(page.Locator("#new-password")).Not.ToBeEmptyAsync();
        await RepeatNothingAsync(page, kiln, shots, "invite");
        await Assertions.Expect(page.Locator("#new-password")).ToHaveCountAsync(0);
        await page.GetByLabel("Role of prg@example.test").SelectOptionAsync("admin");
        await page.Locator("#members tr[data-email='prg@example.test']").GetByRole(AriaRole.Button, new() { Name = "Change role" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("prg@example.test is now admin");
        await RepeatNothingAsync(page, kiln, shots, "role");
        await page.GetByRole(AriaRole.Link, new() { Name = "Remove prg@example.test" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove member" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("prg@example.test was removed");
        await RepeatNothingAsync(page, kiln, shots, "remove-member");

        // A device approval is made once.
        using (var http = kiln.Http())
        {
            var start = await HttpAssert.JsonAsync(await http.PostFormAsync("/ims/device/code", ("client_id", "kiln-cli")), 200);
            await page.GotoAsync(new Uri(start.GetProperty("verification_uri_complete").GetString()!).PathAndQuery);
        }
        await page.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();
        await Assertions.Expect(page.Locator("#result")).ToContainTextAsync("Approved");
        await RepeatNothingAsync(page, kiln, shots, "device");

        // Delete the project, then sign out.
        await page.GotoAsync($"/console/projects/{demo.OrgId}");
        await page.GetByRole(AriaRole.Link, new() { Name = "Delete project prg-project" }).ClickAsync();
        await page.GetByLabel("Type the project name").FillAsync("prg-project");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete project" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("prg-project was deleted");
        await RepeatNothingAsync(page, kiln, shots, "delete-project");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in" })).ToBeVisibleAsync();
        await RepeatNothingAsync(page, kiln, shots, "sign-out");
    }

    /// <summary>After a post: the page is a GET; reload, Back and Forward leave the database as it is.</summary>
    private static async Task RepeatNothingAsync(IPage page, KilnFactory kiln, Shots shots, string step)
    {
        await shots.TakeAsync(step);
        var before = await SnapshotAsync(kiln);
        var reload = await page.ReloadAsync();
        Assert.True(reload is null || reload.Request.Method == "GET", $"{step}: the reload sent {reload?.Request.Method}");
        Assert.True(before == await SnapshotAsync(kiln), $"{step}: the reload changed the database");
        await page.GoBackAsync();
        await page.GoForwardAsync();
        Assert.True(before == await SnapshotAsync(kiln), $"{step}: Back and Forward changed the database");
    }

    private static async Task<T> CountAsync<T>(KilnFactory kiln, Func<KilnDb, Task<T>> query)
    {
        using var scope = kiln.Services.CreateScope();
        return await query(scope.ServiceProvider.GetRequiredService<KilnDb>());
    }

    private static Task<string> SnapshotAsync(KilnFactory kiln) => CountAsync(kiln, async db => string.Join(" | ",
        await db.Projects.CountAsync(), string.Join(',', (await db.Projects.Select(p => p.Name + ":" + p.Description).ToListAsync()).Order()),
        string.Join(',', (await db.Workspaces.Select(w => w.Name).ToListAsync()).Order()),
        string.Join(',', (await db.Credentials.Select(c => c.Name + ":" + c.Description).ToListAsync()).Order()),
        await db.CredentialServices.CountAsync(), await db.ClientSecrets.CountAsync(),
        await db.AuditRecords.SumAsync(a => a.Count), await db.Users.CountAsync(),
        string.Join(',', (await db.OrgMemberships.Select(m => m.UserId + ":" + m.Role).ToListAsync()).Order()),
        string.Join(',', (await db.DeviceAuthorizations.Select(d => d.Status).ToListAsync()).Order()),
        await db.WebSessions.CountAsync(),
        string.Join(',', (await db.QuotaLimits.Select(q => q.Scope + ":" + q.TargetId + ":" + q.PerMinute + "/" + q.PerDay + "/" + q.PerMonth).ToListAsync()).Order())));
}
