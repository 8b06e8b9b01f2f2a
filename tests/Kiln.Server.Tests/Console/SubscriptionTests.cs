using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>Services and subscriptions (docs/console.md#endpoints, docs/identity.md#scopes and docs/console.md#services-and-scopes): the subscriptions decide which scopes a token can get.</summary>
public sealed class SubscriptionTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private Task<HttpResponseMessage> MintAsync(string clientId, string secret, string scope) =>
        _kiln.Http().PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret), ("scope", scope));

    [Fact]
    public async Task Services_list_has_both_apis_with_their_scopes()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var json = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/services"), 200);
        var codes = json.EnumerateArray().ToDictionary(s => s.GetProperty("code").GetString()!, s => s.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()!).ToList());
        Assert.Equal(["AdobeIOManagementAPISDK", "FireflyAPI"], codes.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Contains("ff_apis", codes["FireflyAPI"]);
        Assert.Contains("manage_client_secrets", codes["AdobeIOManagementAPISDK"]);
        foreach (var key in new[] { "name", "enabled", "type", "platformList", "properties", "requiresApproval", "entitledForOrg", "disabledReasons" })
            Assert.True(json[0].TryGetProperty(key, out _), key);
        var one = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/services?sdkCodes=FireflyAPI"), 200);
        Assert.Equal("FireflyAPI", Assert.Single(one.EnumerateArray()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Unsubscribe_then_subscribe_changes_the_scopes_a_token_can_get()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var cred = await http.NewCredentialAsync(demo.OrgId, demo.ProjectId, demo.WorkspaceId, "sub", "FireflyAPI");
        var (id, key, secret) = (cred.GetProperty("id").GetString()!, cred.GetProperty("apiKey").GetString()!, cred.GetProperty("client_secret").GetString()!);
        await HttpAssert.JsonAsync(await MintAsync(key, secret, "firefly_api,ff_apis"), 200);
        await HttpAssert.OAuthErrorAsync(await MintAsync(key, secret, "adobeio_api"), 400, "invalid_scope");

        var url = $"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server/{id}";
        var sub = await HttpAssert.JsonAsync(await http.PatchJsonAsync(url + "/service/subscribe", new { sdkCode = "AdobeIOManagementAPISDK", licenseConfigs = (object?)null, roles = (object?)null }), 200);
        Assert.Equal(["FireflyAPI", "AdobeIOManagementAPISDK"], sub.GetProperty("sdkList").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Empty(sub.GetProperty("errorList").EnumerateArray());
        await HttpAssert.JsonAsync(await MintAsync(key, secret, "adobeio_api,manage_client_secrets"), 200);

        var unsub = await HttpAssert.JsonAsync(await http.PatchJsonAsync(url + "/service/unsubscribe", new { sdkCode = "FireflyAPI" }), 200);
        Assert.Equal(["AdobeIOManagementAPISDK"], unsub.GetProperty("sdkList").EnumerateArray().Select(e => e.GetString()!).ToArray());
        await HttpAssert.OAuthErrorAsync(await MintAsync(key, secret, "firefly_api,ff_apis"), 400, "invalid_scope");

        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync(url + "/service/subscribe", new { licenseConfigs = 1 }), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync($"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server/9/service/subscribe",
            new { sdkCode = "FireflyAPI" }), 404, "not_found");
    }

    [Fact]
    public async Task Put_services_sets_the_list_at_org_level_exactly_as_the_e2e_expects()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var cred = await http.NewCredentialAsync(demo.OrgId, demo.ProjectId, demo.WorkspaceId, "put", "FireflyAPI", "AdobeIOManagementAPISDK");
        var (id, key, secret) = (cred.GetProperty("id").GetString()!, cred.GetProperty("apiKey").GetString()!, cred.GetProperty("client_secret").GetString()!);
        var res = await http.PutJsonAsync($"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server/{id}/services",
            new[] { new { sdkCode = "AdobeIOManagementAPISDK", licenseConfigs = (object?)null, roles = (object?)null } });
        var json = await HttpAssert.JsonAsync(res, 200);
        Assert.Equal("{\"sdkList\":[\"AdobeIOManagementAPISDK\"]}", json.GetRawText());
        await HttpAssert.OAuthErrorAsync(await MintAsync(key, secret, "firefly_api"), 400, "invalid_scope");
        await HttpAssert.GatewayErrorAsync(await http.SendRawAsync(HttpMethod.Put, $"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server/{id}/services", "{\"sdkCode\":\"x\"}"), 400, "bad_request");
    }

    [Theory]
    [InlineData("oauth-server-to-server")]
    [InlineData("oauth_server_to_server")]
    public async Task Put_services_at_workspace_level_accepts_both_type_spellings(string credentialType)
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var cred = await http.NewCredentialAsync(demo.OrgId, demo.ProjectId, demo.WorkspaceId, "ws put");
        var (id, key, secret) = (cred.GetProperty("id").GetString()!, cred.GetProperty("apiKey").GetString()!, cred.GetProperty("client_secret").GetString()!);
        await HttpAssert.OAuthErrorAsync(await MintAsync(key, secret, "firefly_api"), 400, "invalid_scope");
        var url = $"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces/{demo.WorkspaceId}/credentials/{credentialType}/{id}/services";
        var json = await HttpAssert.JsonAsync(await http.PutJsonAsync(url, new[] { new { sdkCode = "FireflyAPI" }, new { sdkCode = "Bogus" } }), 200);
        Assert.Equal(["FireflyAPI"], json.GetProperty("sdkList").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal("Bogus", Assert.Single(json.GetProperty("errorList").EnumerateArray()).GetProperty("sdkCode").GetString());
        await HttpAssert.JsonAsync(await MintAsync(key, secret, "firefly_api,ff_apis"), 200);

        var wrongType = url.Replace(credentialType, "jwt", StringComparison.Ordinal);
        await HttpAssert.GatewayErrorAsync(await http.PutJsonAsync(wrongType, new[] { new { sdkCode = "FireflyAPI" } }), 404, "not_found");
    }
}
