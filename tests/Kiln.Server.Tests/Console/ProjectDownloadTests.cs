using System.Text.Json;
using Kiln.Server.Hosting;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// <c>GET .../projects/{projectId}/download[?with_new_secret=true]</c> (docs/console.md#project-download): the project with every workspace
/// and credential, as the workspace download has them; new secrets for all or none.
/// </summary>
public sealed class ProjectDownloadTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private static string Url(DemoCredential d, string projectId) => $"/console/organizations/{d.OrgId}/projects/{projectId}/download";

    [Fact]
    public async Task The_project_file_has_every_workspace_with_its_credentials_and_no_secret()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var staging = (await HttpAssert.JsonAsync(await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces",
            new { name = "Staging", title = "Staging title" }), 201)).GetProperty("workspaceId").GetString()!;
        var cred = await http.NewCredentialAsync(demo.OrgId, demo.ProjectId, staging, "staging-cred", "FireflyAPI");
        var (elsewhere, elsewhereWs) = await http.NewProjectAsync(demo.OrgId, "elsewhere");
        await http.NewCredentialAsync(demo.OrgId, elsewhere, elsewhereWs, "elsewhere-cred");

        var res = await http.GetAsync(Url(demo, demo.ProjectId));
        Assert.Equal("attachment", res.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal($"{demo.OrgId}-demo.json", res.Content.Headers.ContentDisposition.FileName!.Trim('"'));
        var text = await res.Content.ReadAsStringAsync();
        Assert.DoesNotContain(demo.ClientSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(cred.GetProperty("client_secret").GetString()!, text, StringComparison.Ordinal);
        Assert.DoesNotContain("elsewhere", text, StringComparison.Ordinal);
        var project = (await HttpAssert.JsonAsync(res, 200)).GetProperty("project");
        Assert.Equal(demo.ProjectId, project.GetProperty("id").GetString());
        Assert.Equal("demo", project.GetProperty("name").GetString());
        Assert.Equal(demo.OrgCode, project.GetProperty("org").GetProperty("ims_org_id").GetString());
        Assert.Equal(demo.OrgId, project.GetProperty("org").GetProperty("id").GetString());
        var workspaces = project.GetProperty("workspaces").EnumerateArray().ToList();
        Assert.Equal([demo.WorkspaceId, staging], workspaces.Select(w => w.GetProperty("id").GetString()!).ToArray());
        Assert.Equal("Staging title", workspaces[1].GetProperty("title").GetString());

        // Each workspace is what its own download has in org.workspace.
        foreach (var w in workspaces)
        {
            var alone = await HttpAssert.JsonAsync(await http.GetAsync(
                $"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces/{w.GetProperty("id").GetString()}/download"), 200);
            Assert.Equal(alone.GetProperty("project").GetProperty("org").GetProperty("workspace").GetRawText(), w.GetRawText());
        }
        var s2s = workspaces[1].GetProperty("details").GetProperty("credentials")[0].GetProperty("oauth_server_to_server");
        Assert.Equal(cred.GetProperty("apiKey").GetString(), s2s.GetProperty("client_id").GetString());
        Assert.Empty(s2s.GetProperty("client_secrets").EnumerateArray());
        Assert.Contains("firefly_api", s2s.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task With_new_secret_adds_one_working_secret_to_every_credential_of_the_project_or_none()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var staging = (await HttpAssert.JsonAsync(await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces",
            new { name = "Staging" }), 201)).GetProperty("workspaceId").GetString()!;
        var cred = await http.NewCredentialAsync(demo.OrgId, demo.ProjectId, staging, "staging-cred", "FireflyAPI");
        var credId = cred.GetProperty("id").GetString()!;

        var res = await http.GetAsync(Url(demo, demo.ProjectId) + "?with_new_secret=true");
        Assert.Contains("no-store", res.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        var json = await HttpAssert.JsonAsync(res, 200);
        var creds = json.GetProperty("project").GetProperty("workspaces").EnumerateArray()
            .SelectMany(w => w.GetProperty("details").GetProperty("credentials").EnumerateArray()).ToList();
        Assert.Equal(2, creds.Count);
        foreach (var c in creds)
        {
            var s2s = c.GetProperty("oauth_server_to_server");
            var secret = Assert.Single(s2s.GetProperty("client_secrets").EnumerateArray()).GetString()!;
            var token = await _kiln.TokenAsync(s2s.GetProperty("client_id").GetString()!, secret, "firefly_api");
            Assert.Equal(c.GetProperty("id").GetString(), Jwt.Payload(token).GetProperty("cred").GetString());
        }
        Assert.Equal(2, (await Race.SecretsAsync(http, demo.OrgId, credId)).Count);
        var audit = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/audit?action=secret.add"), 200);
        Assert.Equal(2, audit.EnumerateArray().Count(a => a.GetProperty("detail").GetString() == "project download with a new secret"));

        // Both credentials are at the limit of 2 now: all or none, so 409 and nothing added.
        await HttpAssert.GatewayErrorAsync(await http.GetAsync(Url(demo, demo.ProjectId) + "?with_new_secret=true"), 409, "secret_limit_reached");
        Assert.Equal(2, (await Race.SecretsAsync(http, demo.OrgId, credId)).Count);
        Assert.Equal(2, (await Race.SecretsAsync(http, demo.OrgId, demo.CredentialId)).Count);
    }

    [Theory]
    [InlineData("?with_new_secret=maybe")]
    [InlineData("?with_new_secret=%00")]
    public async Task A_bad_with_new_secret_is_400(string query)
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        await HttpAssert.GatewayErrorAsync(await http.GetAsync(Url(demo, demo.ProjectId) + query), 400, "bad_request");
        Assert.Single(await Race.SecretsAsync(http, demo.OrgId, demo.CredentialId));
    }

    [Fact]
    public async Task Unknown_and_other_orgs_projects_are_404_and_get_no_secret()
    {
        var demo = _kiln.Start();
        var other = await _kiln.CreateOrgAsync();
        var http = await _kiln.DemoConsoleAsync();
        await HttpAssert.GatewayErrorAsync(await http.GetAsync(Url(demo, "123456789012345678")), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync(Url(demo, "x")), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync(Url(demo, other.ProjectId.ToString()) + "?with_new_secret=true"), 404, "not_found");
        var res = await http.GetAsync($"/console/organizations/{other.OrgId}/projects/{other.ProjectId}/download?with_new_secret=true");
        Assert.DoesNotContain(other.OrgCode, await res.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await HttpAssert.GatewayErrorAsync(res, 404, "not_found");
        var own = _kiln.Authed(await _kiln.TokenAsync(other.ClientId, other.ClientSecret, KilnFactory.IoScopes), other.ClientId);
        Assert.Single(await Race.SecretsAsync(own, other.OrgId.ToString(), other.CredentialId.ToString()));
        Assert.Equal(JsonValueKind.Object, (await HttpAssert.JsonAsync(await own.GetAsync($"/console/organizations/{other.OrgId}/projects/{other.ProjectId}/download"), 200)).ValueKind);
    }
}
