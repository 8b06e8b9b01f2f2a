using System.Net;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// Names stay unique under concurrent renames (docs/console.md#endpoints): different credentials, projects or workspaces renamed
/// together to one new name leave exactly one winner; every other rename answers 409 and keeps its old name.
/// </summary>
public sealed class RenameRaceTests : IAsyncLifetime
{
    private const int Racers = 6;
    private readonly KilnFactory _kiln = new();
    private HttpClient _user = null!;
    private string _org = null!;

    public async Task InitializeAsync()
    {
        _org = _kiln.Start().OrgId;
        var admin = await _kiln.CreateUserAsync("renamer@example.com", _kiln.DemoOrg(), "admin");
        _user = await _kiln.UserClientAsync(admin, _kiln.DemoOrg());
    }

    public Task DisposeAsync()
    {
        _kiln.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Concurrent_renames_of_different_credentials_to_one_name_leave_one_winner()
    {
        var (project, workspace) = await _user.NewProjectAsync(_org, "credrename");
        var ids = new List<string>();
        for (var i = 0; i < Racers; i++) ids.Add((await _user.NewCredentialAsync(_org, project, workspace, $"cred-{i}")).GetProperty("id").GetString()!);
        var statuses = await Race.AllAsync(Racers, i => _user.PatchJsonAsync($"/console/organizations/{_org}/integrations/{ids[i]}", new { name = "the one" }));
        AssertOneWinner(statuses, HttpStatusCode.OK);
        var list = await HttpAssert.JsonAsync(await _user.GetAsync($"/console/organizations/{_org}/projects/{project}/workspaces/{workspace}/credentials"), 200);
        var names = list.EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToList();
        Assert.Single(names, n => n == "the one");
        Assert.Equal(Racers - 1, names.Count(n => n.StartsWith("cred-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Concurrent_renames_of_different_projects_to_one_name_leave_one_winner()
    {
        var ids = new List<string>();
        for (var i = 0; i < Racers; i++) ids.Add((await _user.NewProjectAsync(_org, $"projrename-{i}")).ProjectId);
        var statuses = await Race.AllAsync(Racers, i => _user.PatchJsonAsync($"/console/organizations/{_org}/projects/{ids[i]}",
            new { name = "theproject", title = "The project" }));
        AssertOneWinner(statuses, HttpStatusCode.OK);
        var projects = await HttpAssert.JsonAsync(await _user.GetAsync($"/console/organizations/{_org}/projects"), 200);
        var names = projects.EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToList();
        Assert.Single(names, n => n == "theproject");
        Assert.Equal(Racers - 1, names.Count(n => n.StartsWith("projrename-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Concurrent_renames_of_different_workspaces_to_one_name_leave_one_winner()
    {
        var (project, _) = await _user.NewProjectAsync(_org, "wsrename");
        var ids = new List<string>();
        for (var i = 0; i < Racers; i++)
            ids.Add((await HttpAssert.JsonAsync(await _user.PostJsonAsync($"/console/organizations/{_org}/projects/{project}/workspaces",
                new { name = $"ws-{i}" }), 201)).GetProperty("workspaceId").GetString()!);
        var statuses = await Race.AllAsync(Racers, i => _user.PatchJsonAsync($"/console/organizations/{_org}/projects/{project}/workspaces/{ids[i]}",
            new { name = "theworkspace" }));
        AssertOneWinner(statuses, HttpStatusCode.OK);
        var list = await HttpAssert.JsonAsync(await _user.GetAsync($"/console/organizations/{_org}/projects/{project}/workspaces"), 200);
        var names = list.EnumerateArray().Select(w => w.GetProperty("name").GetString()!).ToList();
        Assert.Single(names, n => n == "theworkspace");
        Assert.Equal(Racers - 1, names.Count(n => n.StartsWith("ws-", StringComparison.Ordinal)));
    }

    private static void AssertOneWinner(int[] statuses, HttpStatusCode ok)
    {
        Assert.True(statuses.Count(ok) == 1 && statuses.Count(HttpStatusCode.Conflict) == Racers - 1, string.Join(", ", statuses));
    }
}
