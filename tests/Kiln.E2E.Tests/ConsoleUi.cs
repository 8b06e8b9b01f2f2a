using System.Net.Http.Headers;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>Steps shared by the browser tests.</summary>
public static class ConsoleUi
{
    public const string AdminEmail = "admin@kiln.local";

    public static string AdminPassword(KilnFactory kiln) => File.ReadAllText(Path.Combine(kiln.DataDir, "admin-password")).Trim();

    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/console/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForLoadStateAsync();
    }

    /// <summary>
    /// Uses an access token over HTTP the way a client would. For now: resolves the credential by client id and
    /// lists its secrets (Console REST API). Once the Firefly branch is merged this should call
    /// <c>POST /v3/images/generate</c> instead.
    /// </summary>
    public static async Task<JsonElement> UseTokenAsync(KilnFactory kiln, string token, string clientId)
    {
        using var http = kiln.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.Add("x-api-key", clientId);
        var cred = await HttpAssert.JsonAsync(await http.GetAsync($"/console/clients/{clientId}/credential"), 200);
        var list = await HttpAssert.JsonAsync(await http.GetAsync(
            $"/console/organizations/{cred.GetProperty("org_id").GetString()}/credentials/{cred.GetProperty("credential_id").GetString()}/secrets"), 200);
        Assert.Equal(clientId, list.GetProperty("client_id").GetString());
        return list;
    }
}
