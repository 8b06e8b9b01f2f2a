using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>
/// Every console page at 390, 1280 and 1920 px (docs/console-ui.md#pages): an axe scan with no serious or critical
/// violation, no sideways scrolling, the header on one row from 1280 up, and a screenshot of each page at each width
/// under TestResults/screenshots/&lt;provider&gt;/pages/&lt;width&gt;/.
/// </summary>
public sealed partial class PagesTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly int[] Widths = [390, 1280, 1920];

    [GeneratedRegex(@"[^a-z0-9]+")]
    private static partial Regex NotFileChars();

    [Fact]
    public async Task Every_page_passes_axe_and_holds_its_layout_at_three_widths()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress, forAxe: true);
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));

        // Something on every page: a second workspace, a member to remove, a device code waiting for approval.
        var p = $"/console/projects/{demo.OrgId}/{demo.ProjectId}";
        await page.GotoAsync(p + "/overview");
        await page.GetByLabel("Workspace name").FillAsync("Staging");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add workspace" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Staging", Exact = true }).ClickAsync();
        var workspacePage = new Uri(page.Url).AbsolutePath;
        await page.GotoAsync($"/console/members/{demo.OrgId}");
        await page.GetByLabel("Email").FillAsync("pages@example.test");
        await page.GetByRole(AriaRole.Button, new() { Name = "Invite" }).ClickAsync();
        var removeMember = await page.GetByRole(AriaRole.Link, new() { Name = "Remove pages@example.test" }).GetAttributeAsync("href");
        var credential = ConsoleUi.CredentialPath(demo.OrgId, demo.ProjectId, demo.CredentialId);
        await page.GotoAsync(credential);
        var deleteSecret = await page.Locator("#secrets tbody tr a", new() { HasText = "Delete" }).First.GetAttributeAsync("href");
        string userCode;
        using (var http = kiln.Http())
            userCode = (await HttpAssert.JsonAsync(await http.PostFormAsync("/ims/device/code", ("client_id", "kiln-cli")), 200)).GetProperty("user_code").GetString()!;

        // Each page with the route template it stands for: the list must cover every @page of the console (checked below).
        var pages = new (string Name, string Template, string Path)[]
        {
            ("home", "/console", "/console"),
            ("projects", "/console/projects/{OrgId}", $"/console/projects/{demo.OrgId}"),
            ("project-overview", "/console/projects/{OrgId}/{ProjectId}/overview", p + "/overview"),
            ("project-credentials", "/console/projects/{OrgId}/{ProjectId}/credentials", p + "/credentials"),
            ("project-apis", "/console/projects/{OrgId}/{ProjectId}/apis", p + "/apis"),
            ("project-usage", "/console/projects/{OrgId}/{ProjectId}/usage", p + "/usage"),
            ("project-audit", "/console/projects/{OrgId}/{ProjectId}/audit", p + "/audit"),
            ("workspace", "/console/projects/{OrgId}/{ProjectId}/workspaces/{WorkspaceId}", workspacePage),
            ("delete-workspace", "/console/projects/{OrgId}/{ProjectId}/workspaces/{WorkspaceId}/delete", workspacePage + "/delete"),
            ("credential", "/console/projects/{OrgId}/{ProjectId}/credentials/{CredentialId}/details/oauthservertoserver", credential),
            ("delete-credential", "/console/projects/{OrgId}/{ProjectId}/credentials/{CredentialId}/delete", $"{p}/credentials/{demo.CredentialId}/delete"),
            ("delete-secret", "/console/projects/{OrgId}/{ProjectId}/credentials/{CredentialId}/secrets/{Uuid}/delete", deleteSecret!),
            ("delete-project", "/console/projects/{OrgId}/{ProjectId}/delete", p + "/delete"),
            ("members", "/console/members/{OrgId}", $"/console/members/{demo.OrgId}"),
            ("remove-member", "/console/members/{OrgId}/{MemberId}/remove", removeMember!),
            ("audit-log", "/console/audit/{OrgId}", $"/console/audit/{demo.OrgId}"),
            ("usage", "/console/usage/{OrgId}", $"/console/usage/{demo.OrgId}"),
            ("engines", "/console/engines/{OrgId}", $"/console/engines/{demo.OrgId}"),
            ("device", "/console/device", "/console/device?user_code=" + userCode),
            ("not-found", "", "/console/no-such-page"),
        };
        var routes = typeof(Kiln.Server.Web.WebPaths).Assembly.GetTypes()
            .SelectMany(t => t.GetCustomAttributes(typeof(Microsoft.AspNetCore.Components.RouteAttribute), false))
            .Select(a => ((Microsoft.AspNetCore.Components.RouteAttribute)a).Template).ToHashSet(StringComparer.Ordinal);
        var scanned = pages.Select(x => x.Template).Append("/console/login").ToHashSet(StringComparer.Ordinal);
        Assert.True(routes.Count > 15, string.Join(", ", routes));
        Assert.Empty(routes.Except(scanned).Order(StringComparer.Ordinal)); // a page the scan does not open
        var anonymous = await browser.NewPageAsync(kiln.BaseAddress, forAxe: true);
        var problems = new List<string>();
        foreach (var width in Widths)
        {
            await page.SetViewportSizeAsync(width, 900);
            await anonymous.SetViewportSizeAsync(width, 900);
            await CheckAsync(anonymous, "login", "/console/login?reason=signin", width, problems);
            foreach (var (name, _, path) in pages) await CheckAsync(page, name, path, width, problems);
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static async Task CheckAsync(IPage page, string name, string path, int width, List<string> problems)
    {
        await page.GotoAsync(path);
        var dir = Path.Combine(Shots.Root, "pages", width.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new() { Path = Path.Combine(dir, NotFileChars().Replace(name, "-") + ".png"), FullPage = true });

        var axe = await page.RunAxe();
        if (axe.Passes.Length == 0) problems.Add($"{name} at {width}px: axe checked nothing");
        foreach (var v in axe.Violations.Where(v => v.Impact is "serious" or "critical"))
            problems.Add($"{name} at {width}px: axe {v.Impact} {v.Id}: {v.Help} ({string.Join("; ", v.Nodes.Take(3).Select(n => n.Html))})");

        var sideways = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        if (sideways > 0) problems.Add($"{name} at {width}px: scrolls sideways by {sideways}px");

        if (width >= 1280)
        {
            // One row: every item of the header's bar starts within a few pixels of the same top.
            var tops = await page.EvaluateAsync<double[]>(
                "() => [...document.querySelectorAll('header.top .bar > *')].map(e => e.getBoundingClientRect().top)");
            if (tops.Length > 0 && tops.Max() - tops.Min() > 8) problems.Add($"{name} at {width}px: the header wraps ({string.Join(", ", tops)})");
        }
    }

    [Fact]
    public async Task Destructive_buttons_look_unlike_primary_ones_and_the_device_page_is_not_in_the_menu()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));
        await Assertions.Expect(page.Locator("nav.main a[href='/console/device']")).ToHaveCountAsync(0);

        await page.GotoAsync(ConsoleUi.CredentialPath(demo.OrgId, demo.ProjectId, demo.CredentialId));
        const string Style = "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.color, s.borderTopColor].join(' / '); }";
        var primary = await page.GetByRole(AriaRole.Button, new() { Name = "Generate access token" }).EvaluateAsync<string>(Style);
        var danger = await page.GetByRole(AriaRole.Link, new() { Name = "Delete credential…" }).EvaluateAsync<string>(Style);
        var (p, d) = (primary.Split(" / "), danger.Split(" / "));
        Assert.NotEqual(p[0], d[0]); // filled vs outlined
        Assert.NotEqual(p[1], d[1]);
        Assert.Equal("rgb(185, 28, 28)", d[2]); // a red outline
    }
}
