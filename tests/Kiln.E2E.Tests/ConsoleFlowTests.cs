using System.Text.RegularExpressions;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>The issue's walk-through in a real browser: sign in, project, credential, APIs, secret rotation, token, audit.</summary>
public sealed partial class ConsoleFlowTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    /// <summary>The seed's credential page URL template.</summary>
    [GeneratedRegex(@"/console/projects/(?<orgId>\d+)/(?<projectId>\d+)/credentials/(?<credentialId>\d+)/details/oauthservertoserver$")]
    internal static partial Regex CredentialUrl();

    [Fact]
    public async Task AdminCreatesProjectCredentialApisRotatesSecretAndGeneratesToken()
    {
        using var kiln = new KilnFactory();
        kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(AdminCreatesProjectCredentialApisRotatesSecretAndGeneratesToken));

        // Sign in: an anonymous visit lands on the login page.
        await page.GotoAsync("/console");
        Assert.Contains("/console/login", page.Url, StringComparison.Ordinal);
        await shots.TakeAsync("login");
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));
        Assert.Matches(@"/console/projects/\d+$", page.Url);
        await shots.TakeAsync("projects");

        // Create a project.
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("e2e-project");
        await page.GetByLabel("Title").FillAsync("End-to-end project");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create project" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "End-to-end project" })).ToBeVisibleAsync();
        Assert.Matches(@"/overview$", page.Url);
        await shots.TakeAsync("project-created");

        // Add a credential (the project's Credentials page); its first secret is shown once.
        await page.GetByRole(AriaRole.Link, new() { Name = "Credentials", Exact = true }).ClickAsync();
        await page.GetByLabel("Credential name").FillAsync("e2e-credential");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add credential" }).ClickAsync();
        var firstSecret = (await page.Locator("#new-credential-secret").InnerTextAsync()).Trim();
        var clientId = (await page.Locator("#new-client-id").InnerTextAsync()).Trim();
        Assert.Matches("^[0-9a-f]{32}$", clientId);
        await shots.TakeAsync("credential-added");

        // Add both APIs (the project's APIs page); the page shows the scopes granted.
        await page.GetByRole(AriaRole.Link, new() { Name = "APIs", Exact = true }).ClickAsync();
        await page.GetByLabel("API to add to e2e-credential").SelectOptionAsync(new SelectOptionValue { Label = "Firefly API" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Add API" }).ClickAsync();
        await Assertions.Expect(page.Locator("#granted")).ToContainTextAsync("firefly_api");
        await shots.TakeAsync("firefly-api-added");
        // The list offers only the API the credential does not have yet.
        await Assertions.Expect(page.GetByLabel("API to add to e2e-credential").Locator("option")).ToHaveTextAsync(["I/O Management API"]);
        await page.GetByLabel("API to add to e2e-credential").SelectOptionAsync(new SelectOptionValue { Label = "I/O Management API" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Add API" }).ClickAsync();
        await Assertions.Expect(page.Locator("#granted")).ToContainTextAsync("manage_client_secrets");
        await Assertions.Expect(page.Locator("#granted")).ToContainTextAsync("firefly_api");
        await shots.TakeAsync("io-api-added");

        // The credential page lives at the seed's URL template.
        await page.GetByRole(AriaRole.Link, new() { Name = "e2e-credential", Exact = true }).ClickAsync();
        var ids = CredentialUrl().Match(new Uri(page.Url).AbsolutePath);
        Assert.True(ids.Success, page.Url);
        await Assertions.Expect(page.Locator("#client-id")).ToHaveTextAsync(clientId);
        await Assertions.Expect(page.Locator("#credential-id")).ToHaveTextAsync(ids.Groups["credentialId"].Value);
        await Assertions.Expect(page.Locator("#curl")).ToContainTextAsync("$FIREFLY_SERVICES_CLIENT_SECRET");
        var oldUuid = await page.Locator("#secrets tbody tr").First.GetAttributeAsync("data-uuid");
        await shots.TakeAsync("credential-page");

        // Add a second secret (read it from the page) and generate a token in the UI.
        await page.GetByRole(AriaRole.Button, new() { Name = "Add secret" }).ClickAsync();
        var newSecret = (await page.Locator("#new-secret-value").InnerTextAsync()).Trim();
        Assert.NotEqual(firstSecret, newSecret);
        await Assertions.Expect(page.Locator("#secrets tbody tr")).ToHaveCountAsync(2);
        // The ready-to-paste command never holds the secret (shell history, ps): docs/security.md.
        await Assertions.Expect(page.Locator("#curl")).ToContainTextAsync("$FIREFLY_SERVICES_CLIENT_SECRET");
        await Assertions.Expect(page.Locator("#curl")).Not.ToContainTextAsync(newSecret);
        await shots.TakeAsync("secret-added");
        await page.GetByRole(AriaRole.Button, new() { Name = "Generate access token" }).ClickAsync();
        var token = (await page.Locator("#token-value").InnerTextAsync()).Trim();
        await shots.TakeAsync("token-generated");

        // The token works over HTTP, and so does the new secret.
        await ConsoleUi.UseTokenAsync(kiln, token, clientId);
        await ConsoleUi.UseTokenAsync(kiln, await kiln.TokenAsync(clientId, newSecret), clientId);

        // Delete the old secret, confirming on the warning page.
        await page.Locator($"#secrets tr[data-uuid='{oldUuid}'] a", new() { HasText = "Delete" }).ClickAsync();
        await Assertions.Expect(page.Locator("#warning")).ToContainTextAsync("cannot be undone");
        await shots.TakeAsync("delete-secret-confirm");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete secret" }).ClickAsync();
        await Assertions.Expect(page.Locator("#secrets tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator($"#secrets tr[data-uuid='{oldUuid}']")).ToHaveCountAsync(0);
        await shots.TakeAsync("secret-deleted");
        using (var http = kiln.Http())
        {
            var res = await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", firstSecret));
            await HttpAssert.OAuthErrorAsync(res, 400, "invalid_client", "invalid client_secret parameter");
        }
        await ConsoleUi.UseTokenAsync(kiln, token, clientId); // minted on the newest secret, which is still there

        // The audit log shows every step, and filters.
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        var log = page.Locator("#audit");
        foreach (var action in new[] { "project.create", "credential.create", "credential.services.subscribe", "secret.add", "credential.token", "secret.delete" })
            await Assertions.Expect(log).ToContainTextAsync(action);
        await shots.TakeAsync("audit-log");
        await page.GetByLabel("Action").SelectOptionAsync("secret."); // the action groups (docs/console-ui.md#audit-log)
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(log).ToContainTextAsync("secret.delete");
        await Assertions.Expect(log).Not.ToContainTextAsync("project.create");
        await shots.TakeAsync("audit-log-filtered");

        // Phone width: the credential page still reads well.
        await page.SetViewportSizeAsync(390, 844);
        await page.GotoAsync($"/console/projects/{ids.Groups["orgId"].Value}/{ids.Groups["projectId"].Value}/credentials/{ids.Groups["credentialId"].Value}/details/oauthservertoserver");
        await shots.TakeAsync("credential-page-phone");
    }
}
