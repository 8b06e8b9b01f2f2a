using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>Projects: rename, and delete with a "type the name" confirmation.</summary>
public sealed class ProjectsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task RenameThenDeleteOnlyAfterTypingTheName()
    {
        using var kiln = new KilnFactory();
        kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress, 390, 844); // phone width
        var shots = new Shots(page, nameof(RenameThenDeleteOnlyAfterTypingTheName));
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));
        await shots.TakeAsync("projects-phone");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("rename-me");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();

        await page.Locator("#r-name").FillAsync("renamed-project");
        await page.Locator("#r-title").FillAsync("Renamed project");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#notice")).ToContainTextAsync("renamed-project");
        await shots.TakeAsync("renamed");

        await page.GetByRole(AriaRole.Link, new() { Name = "Delete project…" }).ClickAsync();
        await page.GetByLabel("Type the project name").FillAsync("rename-me");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete project" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("does not match");
        await shots.TakeAsync("delete-refused");
        Assert.True(await ProjectExistsAsync(kiln, "renamed-project"));

        await page.GetByLabel("Type the project name").FillAsync("renamed-project");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete project" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("renamed-project was deleted");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "renamed-project" })).ToHaveCountAsync(0);
        await shots.TakeAsync("deleted");
        Assert.False(await ProjectExistsAsync(kiln, "renamed-project"));
    }

    [Fact]
    public async Task DataProtectionKeysLiveInTheDatabase()
    {
        using var kiln = new KilnFactory();
        kiln.Start();
        using var ui = new UiClient(kiln.BaseAddress);
        await ui.SignInAsync(ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));
        using var scope = kiln.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        Assert.True(await db.DataProtectionKeys.AnyAsync(), "cookie keys must be shared by every node");
        Assert.Equal(1, await db.WebSessions.CountAsync());
    }

    private static async Task<bool> ProjectExistsAsync(KilnFactory kiln, string name)
    {
        using var scope = kiln.Services.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<KilnDb>().Projects.AnyAsync(p => p.Name == name);
    }
}
