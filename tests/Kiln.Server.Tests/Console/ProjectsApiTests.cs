using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>Projects over HTTP (docs/console.md#endpoints): create, list (sort, page, filter), get, edit, delete, and their errors.</summary>
public sealed class ProjectsApiTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Create_answers_201_with_ids_and_makes_the_Production_workspace()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var res = await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/projects",
            new { name = "myproj", title = "My project", description = "desc", type = "default" });
        var json = await HttpAssert.JsonAsync(res, 201);
        var projectId = json.GetProperty("projectId").GetString()!;
        Assert.Matches("^[0-9]+$", projectId);
        Assert.Equal("default", json.GetProperty("projectType").GetString());
        Assert.Matches("^[0-9]+$", json.GetProperty("workspaceId").GetString()!);

        var project = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects/{projectId}"), 200);
        Assert.Equal("myproj", project.GetProperty("name").GetString());
        Assert.Equal("My project", project.GetProperty("title").GetString());
        Assert.Equal(demo.OrgId, project.GetProperty("org_id").GetString());
        Assert.Equal(demo.ClientId, project.GetProperty("who_created").GetString());
        foreach (var key in new[] { "id", "description", "type", "enabled", "deleted", "date_created", "date_last_modified", "who_last_modified" })
            Assert.True(project.TryGetProperty(key, out _), key);
        Assert.False(project.TryGetProperty("metadata", out _));

        var workspaces = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects/{projectId}/workspaces"), 200);
        var only = Assert.Single(workspaces.EnumerateArray());
        Assert.Equal("Production", only.GetProperty("name").GetString());
        Assert.Equal(json.GetProperty("workspaceId").GetString(), only.GetProperty("id").GetString());
    }

    [Fact]
    public async Task List_sorts_pages_filters_and_sets_pagination_headers()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        foreach (var n in new[] { "bbb", "aaa", "ccc" }) await http.NewProjectAsync(demo.OrgId, n);
        var url = $"/console/organizations/{demo.OrgId}/projects";

        var res = await http.GetAsync(url + "?sortField=title&sortOrder=ASC");
        var all = await HttpAssert.JsonAsync(res, 200);
        Assert.Equal(["Demo project", "aaa title", "bbb title", "ccc title"], all.EnumerateArray().Select(p => p.GetProperty("title").GetString()!).ToArray());
        Assert.Equal("4", res.Headers.GetValues("X-Pagination-Count").Single());
        var ws = all[1].GetProperty("metadata").GetProperty("workspaces");
        Assert.Equal("Production", Assert.Single(ws.EnumerateArray()).GetProperty("name").GetString());

        res = await http.GetAsync(url + "?sortField=title&sortOrder=DESC&page=2&size=2");
        var page = await HttpAssert.JsonAsync(res, 200);
        Assert.Equal(["aaa title", "Demo project"], page.EnumerateArray().Select(p => p.GetProperty("title").GetString()!).ToArray());
        Assert.Equal("4", res.Headers.GetValues("X-Pagination-Count").Single());
        Assert.Equal("2", res.Headers.GetValues("X-Pagination-Page").Single());
        Assert.Equal("2", res.Headers.GetValues("X-Pagination-Size").Single());

        var filtered = await HttpAssert.JsonAsync(await http.GetAsync(url + "?title=BBB"), 200);
        Assert.Equal("bbb", Assert.Single(filtered.EnumerateArray()).GetProperty("name").GetString());

        var beyond = await HttpAssert.JsonAsync(await http.GetAsync(url + "?page=2147483647&size=1000"), 200);
        Assert.Equal(0, beyond.GetArrayLength());

        var newest = await HttpAssert.JsonAsync(await http.GetAsync(url + "?sortField=date_created&sortOrder=DESC"), 200);
        Assert.Equal("ccc", newest[0].GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("?sortField=name")]
    [InlineData("?sortOrder=UP")]
    [InlineData("?page=0")]
    [InlineData("?page=x")]
    [InlineData("?page=1&size=0")]
    public async Task List_rejects_bad_query_parameters_with_400(string query)
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects{query}"), 400, "bad_request");
    }

    [Theory]
    [InlineData("{\"name\":\"abc\",\"title\":\"t\"}")] // type missing
    [InlineData("{\"title\":\"t\",\"type\":\"default\"}")] // name missing
    [InlineData("{\"name\":\"a b\",\"title\":\"t\",\"type\":\"default\"}")] // bad name
    [InlineData("{\"name\":\"abc\",\"type\":\"default\"}")] // title missing
    [InlineData("{\"name\":\"abc\",\"title\":\"t\",\"type\":\"jaeger\"}")]
    [InlineData("{\"name\":\"abc\",\"title\":5,\"type\":\"default\"}")] // wrong JSON type
    [InlineData("{\"name\":\"abc\",")] // malformed
    [InlineData("[1,2]")]
    [InlineData("")]
    public async Task Create_rejects_bad_bodies_with_400_json(string body)
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var res = await http.SendRawAsync(HttpMethod.Post, $"/console/organizations/{demo.OrgId}/projects", body);
        await HttpAssert.GatewayErrorAsync(res, 400, "bad_request");
    }

    [Fact]
    public async Task Duplicate_name_is_409()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        await http.NewProjectAsync(demo.OrgId, "dup");
        var res = await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/projects", new { name = "dup", title = "x", type = "default" });
        await HttpAssert.GatewayErrorAsync(res, 409, "ERR_MSG_DUPLICATE_NAME");
    }

    [Fact]
    public async Task Patch_edits_and_validates()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var (pid, _) = await http.NewProjectAsync(demo.OrgId, "before");
        var url = $"/console/organizations/{demo.OrgId}/projects/{pid}";
        var edited = await HttpAssert.JsonAsync(await http.PatchJsonAsync(url, new { name = "after", title = "After", description = "new" }), 200);
        Assert.Equal("after", edited.GetProperty("name").GetString());
        Assert.Equal("After", edited.GetProperty("title").GetString());
        Assert.Equal("new", edited.GetProperty("description").GetString());

        var notif = await HttpAssert.JsonAsync(await http.PatchJsonAsync(url, new { notifications_enabled = false }), 200);
        Assert.False(notif.GetProperty("notifications_enabled").GetBoolean());
        Assert.Equal("after", notif.GetProperty("name").GetString());

        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync(url, new { name = "only" }), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.SendRawAsync(HttpMethod.Patch, url, "{oops"), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync(url, new { name = "demo", title = "clash" }), 409, "ERR_MSG_DUPLICATE_NAME");
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync($"/console/organizations/{demo.OrgId}/projects/123", new { name = "x12", title = "x" }), 404, "not_found");
    }

    [Fact]
    public async Task Delete_removes_the_project_and_is_audited()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var (pid, _) = await http.NewProjectAsync(demo.OrgId, "gone");
        var url = $"/console/organizations/{demo.OrgId}/projects/{pid}";
        await HttpAssert.JsonAsync(await http.DeleteAsync(url), 200);
        await HttpAssert.GatewayErrorAsync(await http.GetAsync(url), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.DeleteAsync(url), 404, "not_found");

        var audit = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/audit?action=project."), 200);
        var actions = audit.EnumerateArray().Select(a => (a.GetProperty("action").GetString(), a.GetProperty("target").GetString(), a.GetProperty("actor").GetString())).ToList();
        Assert.Contains(("project.delete", $"project:{pid}", demo.ClientId), actions);
        Assert.Contains(("project.create", $"project:{pid}", demo.ClientId), actions);
        Assert.All(audit.EnumerateArray(), a => Assert.Equal("credential", a.GetProperty("actor_type").GetString()));
        Assert.All(audit.EnumerateArray(), a => Assert.False(string.IsNullOrEmpty(a.GetProperty("source_ip").GetString())));
    }

    [Fact]
    public async Task Unknown_and_malformed_project_ids_are_404()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects/999"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects/abc"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync("/console/organizations/abc/projects"), 404, "not_found");
        Assert.NotNull(JsonSerializer.Serialize(demo));
    }
}
