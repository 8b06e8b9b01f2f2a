using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>The workspace download of docs/console.md#workspace-download and docs/console.md#credential-fields-and-one-time-secrets.</summary>
public sealed class DownloadTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Download_has_the_aio_lib_ims_keys_and_no_secret_by_default()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var res = await http.GetAsync($"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces/{demo.WorkspaceId}/download");
        var body = await res.Content.ReadAsStringAsync();
        Assert.DoesNotContain(demo.ClientSecret, body, StringComparison.Ordinal);
        var json = await HttpAssert.JsonAsync(res, 200);
        var project = json.GetProperty("project");
        Assert.Equal(demo.ProjectId, project.GetProperty("id").GetString());
        foreach (var key in new[] { "name", "title", "description" }) Assert.True(project.TryGetProperty(key, out _), key);
        var org = project.GetProperty("org");
        Assert.Equal(demo.OrgId, org.GetProperty("id").GetString());
        Assert.Equal(demo.OrgCode, org.GetProperty("ims_org_id").GetString());
        var ws = org.GetProperty("workspace");
        Assert.Equal(demo.WorkspaceId, ws.GetProperty("id").GetString());
        Assert.Equal("Production", ws.GetProperty("name").GetString());
        var details = ws.GetProperty("details");
        var cred = Assert.Single(details.GetProperty("credentials").EnumerateArray());
        Assert.Equal(demo.CredentialId, cred.GetProperty("id").GetString());
        Assert.Equal(demo.ClientId, cred.GetProperty("apiKey").GetString());
        Assert.Equal("oauth_server_to_server", cred.GetProperty("integration_type").GetString());
        var s2s = cred.GetProperty("oauth_server_to_server");
        Assert.Equal(demo.ClientId, s2s.GetProperty("client_id").GetString());
        Assert.Empty(s2s.GetProperty("client_secrets").EnumerateArray());
        Assert.EndsWith("@techacct.adobe.com", s2s.GetProperty("technical_account_email").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("@techacct.adobe.com", s2s.GetProperty("technical_account_id").GetString(), StringComparison.Ordinal);
        Assert.Contains("firefly_api", s2s.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["FireflyAPI", "AdobeIOManagementAPISDK"], details.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("code").GetString()!).ToArray());
        Assert.Empty(details.GetProperty("runtime").GetProperty("namespaces").EnumerateArray());
        Assert.Empty(details.GetProperty("events").GetProperty("registrations").EnumerateArray());
        Assert.Equal(System.Text.Json.JsonValueKind.Object, details.GetProperty("mesh").ValueKind);
    }

    [Fact]
    public async Task With_new_secret_adds_a_working_secret_to_the_file_and_audits_it()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var url = $"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces/{demo.WorkspaceId}/download?with_new_secret=true";
        var json = await HttpAssert.JsonAsync(await http.GetAsync(url), 200);
        var s2s = json.GetProperty("project").GetProperty("org").GetProperty("workspace").GetProperty("details").GetProperty("credentials")[0].GetProperty("oauth_server_to_server");
        var secret = Assert.Single(s2s.GetProperty("client_secrets").EnumerateArray()).GetString()!;
        Assert.NotEqual(demo.ClientSecret, secret);
        var token = await _kiln.TokenAsync(demo.ClientId, secret, string.Join(',', s2s.GetProperty("scopes").EnumerateArray().Select(e => e.GetString())));
        Assert.Equal(demo.ClientId, Jwt.Payload(token).GetProperty("client_id").GetString());

        var audit = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/audit?action=secret.add"), 200);
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("detail").GetString()!.Contains("download", StringComparison.Ordinal));

        // The default limit is 2 secrets: the credential is full now.
        await HttpAssert.GatewayErrorAsync(await http.GetAsync(url), 409, "secret_limit_reached");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync(url.Replace("true", "maybe", StringComparison.Ordinal)), 400, "bad_request");
    }
}
