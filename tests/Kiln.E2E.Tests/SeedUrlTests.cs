using System.Net.Http.Json;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>
/// The seed's rotation guide: "copy orgId, projectId and credentialId from the credential page's URL" and use them
/// with the secrets API, authenticated with a token minted by that credential's own secret.
/// </summary>
public sealed class SeedUrlTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task IdsParsedFromTheCredentialPageUrlWorkWithTheSecretsApi()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        var page = await browser.NewPageAsync(kiln.BaseAddress);
        var shots = new Shots(page, nameof(IdsParsedFromTheCredentialPageUrlWorkWithTheSecretsApi));
        await ConsoleUi.SignInAsync(page, ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));

        // Open the credential page by clicking through, as a person would.
        await page.GetByRole(AriaRole.Link, new() { Name = "demo", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Demo credential" }).ClickAsync();
        await shots.TakeAsync("credential-page");
        var m = ConsoleFlowTests.CredentialUrl().Match(new Uri(page.Url).AbsolutePath);
        Assert.True(m.Success, page.Url);
        var (orgId, projectId, credentialId) = (m.Groups["orgId"].Value, m.Groups["projectId"].Value, m.Groups["credentialId"].Value);
        Assert.Equal(demo.ProjectId, projectId);
        var clientId = (await page.Locator("#client-id").InnerTextAsync()).Trim();

        // The seed's calls with those ids: list, add, then delete the added secret.
        using var http = kiln.Authed(await kiln.TokenAsync(clientId, demo.ClientSecret), clientId);
        var list = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{orgId}/credentials/{credentialId}/secrets"), 200);
        Assert.Equal(clientId, list.GetProperty("client_id").GetString());
        Assert.Equal(1, list.GetProperty("client_secrets").GetArrayLength());
        var added = await HttpAssert.JsonAsync(await http.PostAsync($"/console/organizations/{orgId}/credentials/{credentialId}/secrets", JsonContent.Create(new { })), 201);
        var uuid = added.GetProperty("uuid").GetString();
        using var deleted = await http.DeleteAsync($"/console/organizations/{orgId}/credentials/{credentialId}/secrets/{uuid}");
        Assert.Equal(204, (int)deleted.StatusCode);

        // The page shows the API's changes, with the token request's use of the secret.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#secrets tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#secrets tbody tr").First).Not.ToContainTextAsync("Never");
        await shots.TakeAsync("credential-page-after-api");
    }
}
