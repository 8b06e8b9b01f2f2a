using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>Workspaces over HTTP (docs/console.md#endpoints): list, create (201), get, edit, delete.</summary>
public sealed class WorkspacesApiTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Create_get_edit_list_and_delete_a_workspace()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var url = $"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces";

        var created = await HttpAssert.JsonAsync(await http.PostJsonAsync(url, new { name = "Stage", description = "staging" }), 201);
        Assert.Equal(demo.ProjectId, created.GetProperty("projectId").GetString());
        var wid = created.GetProperty("workspaceId").GetString()!;

        var got = await HttpAssert.JsonAsync(await http.GetAsync($"{url}/{wid}"), 200);
        Assert.Equal("Stage", got.GetProperty("name").GetString());
        Assert.Equal("Stage", got.GetProperty("title").GetString());
        Assert.Equal("staging", got.GetProperty("description").GetString());
        foreach (var key in new[] { "id", "quota_usage", "enabled", "runtime_enabled", "date_created", "date_last_modified", "who_created", "who_last_modified" })
            Assert.True(got.TryGetProperty(key, out _), key);

        var edited = await HttpAssert.JsonAsync(await http.PatchJsonAsync($"{url}/{wid}", new { name = "Staging", title = "Staging env", description = "x" }), 200);
        Assert.Equal("Staging", edited.GetProperty("name").GetString());
        Assert.Equal("Staging env", edited.GetProperty("title").GetString());

        var list = await HttpAssert.JsonAsync(await http.GetAsync(url), 200);
        Assert.Equal(["Production", "Staging"], list.EnumerateArray().Select(w => w.GetProperty("name").GetString()!).ToArray());

        await HttpAssert.JsonAsync(await http.DeleteAsync($"{url}/{wid}"), 200);
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"{url}/{wid}"), 404, "not_found");
        Assert.Single((await HttpAssert.JsonAsync(await http.GetAsync(url), 200)).EnumerateArray());
    }

    [Fact]
    public async Task Errors_are_400_404_and_409()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var url = $"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces";
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync(url, new { description = "no name" }), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.SendRawAsync(HttpMethod.Post, url, "{\"name\":"), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync(url, new { name = "Production" }), 409, "ERR_MSG_DUPLICATE_NAME");
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync($"{url}/{demo.WorkspaceId}", new { title = "no name" }), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.DeleteAsync($"{url}/{demo.WorkspaceId}"), 409, "default_workspace");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"{url}/42"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects/42/workspaces"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/projects/42/workspaces", new { name = "abc" }), 404, "not_found");
    }

    [Fact]
    public async Task Deleting_a_workspace_deletes_its_credentials_and_revokes_their_tokens()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var url = $"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces";
        var wid = (await HttpAssert.JsonAsync(await http.PostJsonAsync(url, new { name = "Temp" }), 201)).GetProperty("workspaceId").GetString()!;
        var cred = await http.NewCredentialAsync(demo.OrgId, demo.ProjectId, wid, "temp cred", "FireflyAPI", "AdobeIOManagementAPISDK");
        var apiKey = cred.GetProperty("apiKey").GetString()!;
        var credHttp = _kiln.Authed(await _kiln.TokenAsync(apiKey, cred.GetProperty("client_secret").GetString()!, KilnFactory.IoScopes), apiKey);
        await HttpAssert.JsonAsync(await credHttp.GetAsync("/console/organizations"), 200);

        await HttpAssert.JsonAsync(await http.DeleteAsync($"{url}/{wid}"), 200);
        await HttpAssert.GatewayErrorAsync(await credHttp.GetAsync("/console/organizations"), 401, "401013");
    }
}
