using System.Net;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>Names stay unique under concurrent creates: projects and credentials per org; a new credential has one secret.</summary>
public sealed class NameRaceTests : IAsyncLifetime
{
    private readonly KilnFactory _kiln = new();
    private HttpClient _user = null!;
    private string _org = null!;

    public async Task InitializeAsync()
    {
        var demo = _kiln.Start();
        _org = demo.OrgId;
        var admin = await _kiln.CreateUserAsync("namer@example.com", _kiln.DemoOrg(), "admin");
        _user = await _kiln.UserClientAsync(admin, _kiln.DemoOrg());
    }

    public Task DisposeAsync()
    {
        _kiln.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Concurrent_project_creates_with_one_name_make_one_project()
    {
        var statuses = await Race.AllAsync(10, _ => _user.PostJsonAsync($"/console/organizations/{_org}/projects",
            new { name = "samename", title = "Same", type = "default" }));
        Assert.Equal(1, statuses.Count(HttpStatusCode.Created));
        Assert.Equal(9, statuses.Count(HttpStatusCode.Conflict));
        var projects = await HttpAssert.JsonAsync(await _user.GetAsync($"/console/organizations/{_org}/projects"), 200);
        Assert.Single(projects.EnumerateArray(), p => p.GetProperty("name").GetString() == "samename");
    }

    [Fact]
    public async Task Concurrent_workspace_credential_creates_with_one_name_make_one_credential_with_one_secret()
    {
        var (project, workspace) = await _user.NewProjectAsync(_org, "credrace");
        var url = $"/console/organizations/{_org}/projects/{project}/workspaces/{workspace}/credentials/oauth-server-to-server";
        var statuses = await Race.AllAsync(10, _ => _user.PostJsonAsync(url, new { name = "Same credential" }));
        Assert.Equal(1, statuses.Count(HttpStatusCode.OK));
        Assert.Equal(9, statuses.Count(HttpStatusCode.Conflict));
        var list = await HttpAssert.JsonAsync(await _user.GetAsync($"/console/organizations/{_org}/projects/{project}/workspaces/{workspace}/credentials"), 200);
        var cred = Assert.Single(list.EnumerateArray());
        Assert.Single(await Race.SecretsAsync(_user, _org, cred.GetProperty("id_integration").GetString()!));
    }

    [Fact]
    public async Task Concurrent_org_credential_creates_with_one_name_make_one_credential_and_one_project()
    {
        var before = (await HttpAssert.JsonAsync(await _user.GetAsync($"/console/organizations/{_org}/projects"), 200)).GetArrayLength();
        var statuses = await Race.AllAsync(10, _ => _user.PostJsonAsync($"/console/organizations/{_org}/credentials/oauth-server-to-server",
            new { name = "Org level twin" }));
        Assert.Equal(1, statuses.Count(HttpStatusCode.Created));
        Assert.Equal(9, statuses.Count(HttpStatusCode.Conflict));
        var projects = await HttpAssert.JsonAsync(await _user.GetAsync($"/console/organizations/{_org}/projects"), 200);
        Assert.Equal(before + 1, projects.GetArrayLength());
    }
}
