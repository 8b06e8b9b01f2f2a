using System.Net.Http.Headers;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Kiln.E2E.Tests;

/// <summary>Steps shared by the browser tests.</summary>
public static class ConsoleUi
{
    public const string AdminEmail = "admin@kiln.local";

    /// <summary>The credential page (the seed's URL template).</summary>
    public static string CredentialPath(string orgId, string projectId, string credentialId) =>
        $"/console/projects/{orgId}/{projectId}/credentials/{credentialId}/details/oauthservertoserver";

    public static string AdminPassword(KilnFactory kiln) => File.ReadAllText(Path.Combine(kiln.DataDir, "admin-password")).Trim();

    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/console/login");
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        // Done when the page says so: the signed-in layout's "Sign out" button, or the sign-in form's error.
        var signedIn = page.GetByRole(AriaRole.Button, new() { Name = "Sign out" });
        await signedIn.Or(page.Locator("#login-error")).First.WaitForAsync(new() { Timeout = 60_000 });
        if (!await signedIn.IsVisibleAsync())
            throw new InvalidOperationException($"sign-in as {email} failed: {await page.Locator("#login-error").InnerTextAsync()}");
    }

    /// <summary>
    /// Uses an access token over HTTP the way the seed's client does: <c>POST /v3/images/generate</c> with the bearer
    /// token and x-api-key, then downloads the pre-signed image URL it answers with.
    /// </summary>
    public static async Task<JsonElement> UseTokenAsync(KilnFactory kiln, string token, string clientId)
    {
        using var http = kiln.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.Add("x-api-key", clientId);
        var body = new StringContent("""{"prompt":"a realistic illustration of a cat coding","size":{"width":1024,"height":1024}}""",
            System.Text.Encoding.UTF8, "application/json");
        var json = await HttpAssert.JsonAsync(await http.PostAsync("/v3/images/generate", body), 200);
        var url = json.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
        using var plain = new HttpClient();
        var jpeg = await plain.GetByteArrayAsync(url);
        Assert.True(jpeg.Length > 1000 && jpeg[0] == 0xFF && jpeg[1] == 0xD8, "the generated image is not a JPEG");
        return json;
    }
}
