using System.Text.Json;
using Kiln.Server.Hosting;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>Credentials over HTTP (docs/console.md#endpoints, docs/console.md#credential-fields-and-one-time-secrets): create at both levels, list, resolve, delete (revokes at once).</summary>
public sealed class CredentialsApiTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private static string Ws(DemoCredential d) => $"/console/organizations/{d.OrgId}/projects/{d.ProjectId}/workspaces/{d.WorkspaceId}";

    [Fact]
    public async Task Workspace_create_returns_id_apiKey_orgId_and_a_secret_that_mints_a_token()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var json = await http.NewCredentialAsync(demo.OrgId, demo.ProjectId, demo.WorkspaceId, "ci", "FireflyAPI");
        Assert.Matches("^[0-9]+$", json.GetProperty("id").GetString()!);
        Assert.Matches("^[0-9a-f]{32}$", json.GetProperty("apiKey").GetString()!);
        Assert.Equal(demo.OrgId, json.GetProperty("orgId").GetString());
        var token = await _kiln.TokenAsync(json.GetProperty("apiKey").GetString()!, json.GetProperty("client_secret").GetString()!, "firefly_api,ff_apis");
        Assert.Equal(json.GetProperty("id").GetString(), Jwt.Payload(token).GetProperty("cred").GetString());

        var list = await HttpAssert.JsonAsync(await http.GetAsync(Ws(demo) + "/credentials"), 200);
        var mine = list.EnumerateArray().Single(c => c.GetProperty("id_integration").GetString() == json.GetProperty("id").GetString());
        Assert.Equal(demo.WorkspaceId, mine.GetProperty("id_workspace").GetString());
        Assert.Equal("entp", mine.GetProperty("flow_type").GetString());
        Assert.Equal("oauth_server_to_server", mine.GetProperty("integration_type").GetString());
        Assert.Equal("oauth_server_to_server", mine.GetProperty("credential_type").GetString());
        Assert.Equal(2, list.GetArrayLength());
    }

    [Fact]
    public async Task Org_level_create_makes_a_project_and_workspace_and_reports_subscriptions()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var res = await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server",
            new { name = "Automation cred", description = "d", services = new object[] { new { sdkCode = "FireflyAPI" }, new { sdkCode = "NoSuchAPI" } } });
        var json = await HttpAssert.JsonAsync(res, 201);
        foreach (var key in new[] { "id", "apiKey", "orgId", "technicalAccountId", "projectId", "workspaceId", "client_secret" })
            Assert.False(string.IsNullOrEmpty(json.GetProperty(key).GetString()), key);
        Assert.Equal(["FireflyAPI"], json.GetProperty("subscriptionResult").GetProperty("sdkList").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal("NoSuchAPI", Assert.Single(json.GetProperty("subscriptionResult").GetProperty("errorList").EnumerateArray()).GetProperty("sdkCode").GetString());
        Assert.NotEqual(demo.ProjectId, json.GetProperty("projectId").GetString());

        var project = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects/{json.GetProperty("projectId").GetString()}"), 200);
        Assert.Equal("Automation cred", project.GetProperty("title").GetString());

        var again = await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server", new { name = "Automation cred" });
        await HttpAssert.GatewayErrorAsync(again, 409, "ERR_MSG_DUPLICATE_NAME");

        // Into an existing project's Production workspace.
        var inDemo = await HttpAssert.JsonAsync(await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server",
            new { name = "second", projectId = demo.ProjectId }), 201);
        Assert.Equal(demo.WorkspaceId, inDemo.GetProperty("workspaceId").GetString());
        Assert.Empty(inDemo.GetProperty("subscriptionResult").GetProperty("sdkList").EnumerateArray());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"name\":\"\"}")]
    [InlineData("{\"name\":\"x\",\"services\":[{\"licenseConfigs\":null}]}")]
    [InlineData("{\"name\":\"x\",\"services\":\"FireflyAPI\"}")]
    [InlineData("not json")]
    public async Task Bad_create_bodies_are_400(string body)
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        await HttpAssert.GatewayErrorAsync(await http.SendRawAsync(HttpMethod.Post, Ws(demo) + "/credentials/oauth-server-to-server", body), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.SendRawAsync(HttpMethod.Post, $"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server", body), 400, "bad_request");
    }

    [Fact]
    public async Task Deleting_a_credential_revokes_its_tokens_at_once()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var json = await http.NewCredentialAsync(demo.OrgId, demo.ProjectId, demo.WorkspaceId, "doomed", "AdobeIOManagementAPISDK");
        var (id, key) = (json.GetProperty("id").GetString()!, json.GetProperty("apiKey").GetString()!);
        var doomed = _kiln.Authed(await _kiln.TokenAsync(key, json.GetProperty("client_secret").GetString()!, KilnFactory.IoScopes), key);
        await HttpAssert.JsonAsync(await doomed.GetAsync("/console/organizations"), 200);

        await HttpAssert.JsonAsync(await http.DeleteAsync($"{Ws(demo)}/credentials/{id}"), 200);
        await HttpAssert.GatewayErrorAsync(await doomed.GetAsync("/console/organizations"), 401, "401013");
        var form = await _kiln.Http().PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", key), ("client_secret", json.GetProperty("client_secret").GetString()!));
        await HttpAssert.OAuthErrorAsync(form, 400, "invalid_client", "invalid client_id parameter");
        await HttpAssert.GatewayErrorAsync(await http.DeleteAsync($"{Ws(demo)}/credentials/{id}"), 404, "not_found");
        var audit = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/audit?action=credential.delete"), 200);
        Assert.Equal($"credential:{id}", Assert.Single(audit.EnumerateArray()).GetProperty("target").GetString());
    }

    [Fact]
    public async Task Deleting_a_project_cascades_to_credentials_and_revokes_them()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var (pid, wid) = await http.NewProjectAsync(demo.OrgId, "cascade");
        var json = await http.NewCredentialAsync(demo.OrgId, pid, wid, "in project", "FireflyAPI", "AdobeIOManagementAPISDK");
        var key = json.GetProperty("apiKey").GetString()!;
        var inner = _kiln.Authed(await _kiln.TokenAsync(key, json.GetProperty("client_secret").GetString()!, KilnFactory.IoScopes), key);
        await HttpAssert.JsonAsync(await inner.GetAsync("/console/organizations"), 200);

        await HttpAssert.JsonAsync(await http.DeleteAsync($"/console/organizations/{demo.OrgId}/projects/{pid}"), 200);
        await HttpAssert.GatewayErrorAsync(await inner.GetAsync("/console/organizations"), 401, "401013");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/clients/{key}/credential"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects/{pid}/workspaces/{wid}"), 404, "not_found");
        var left = await _kiln.WithDbAsync(async (db, _) => await Task.FromResult(db.ClientSecrets.Count(s => db.Credentials.Any(c => c.ClientId == key && c.Id == s.CredentialId))));
        Assert.Equal(0, left);
    }

    [Fact]
    public async Task Resolve_by_client_id_and_by_credential_id()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var json = await HttpAssert.JsonAsync(await http.GetAsync($"/console/clients/{demo.ClientId}/credential"), 200);
        Assert.Equal(demo.OrgId, json.GetProperty("org_id").GetString());
        Assert.Equal(demo.OrgCode, json.GetProperty("org_code").GetString());
        Assert.Equal(demo.ProjectId, json.GetProperty("project_id").GetString());
        Assert.Equal(demo.WorkspaceId, json.GetProperty("workspace_id").GetString());
        Assert.Equal(demo.CredentialId, json.GetProperty("credential_id").GetString());
        Assert.Equal(demo.ClientId, json.GetProperty("client_id").GetString());
        Assert.Equal("entp", json.GetProperty("flow_type").GetString());
        Assert.Equal("oauth_server_to_server", json.GetProperty("credential_type").GetString());
        Assert.Equal(2, json.GetProperty("services").GetArrayLength());
        await HttpAssert.GatewayErrorAsync(await http.GetAsync("/console/clients/0123456789abcdef0123456789abcdef/credential"), 404, "not_found");

        var where = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects_workspaces/credentials/{demo.CredentialId}"), 200);
        var only = Assert.Single(where.EnumerateArray());
        Assert.Equal(demo.ProjectId, only.GetProperty("projectId").GetString());
        Assert.Equal(demo.WorkspaceId, only.GetProperty("workspaceId").GetString());
        Assert.Equal(demo.CredentialId, only.GetProperty("credentialId").GetString());
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects_workspaces/credentials/77"), 404, "not_found");
    }

    [Fact]
    public async Task Integration_details_carry_services_and_scopes_but_no_secret()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var res = await http.GetAsync($"/console/organizations/{demo.OrgId}/integrations/{demo.CredentialId}");
        var body = await res.Content.ReadAsStringAsync();
        Assert.DoesNotContain(demo.ClientSecret, body, StringComparison.Ordinal);
        var json = await HttpAssert.JsonAsync(res, 200);
        Assert.Equal(demo.ClientId, json.GetProperty("apikey").GetString());
        Assert.Equal("entp", json.GetProperty("type").GetString());
        Assert.EndsWith("@techacct.adobe.com", json.GetProperty("technicalAccountId").GetString(), StringComparison.Ordinal);
        Assert.Equal(["FireflyAPI", "AdobeIOManagementAPISDK"], json.GetProperty("sdkList").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var ff = json.GetProperty("serviceProperties").EnumerateArray().Single(s => s.GetProperty("sdkCode").GetString() == "FireflyAPI");
        Assert.Contains("firefly_api", ff.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(JsonValueKind.Number, json.GetProperty("createdDate").ValueKind);
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/integrations/5"), 404, "not_found");
    }
}
