using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>docs/console.md#who-may-do-what and the issue's roles: org isolation (404), admin vs developer, credentials with and without adobeio_api.</summary>
public sealed class AccessRulesTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    public static TheoryData<string> OtherOrgUrls() =>
    [
        "/console/organizations/{org}/projects",
        "/console/organizations/{org}/projects/{project}",
        "/console/organizations/{org}/projects/{project}/workspaces",
        "/console/organizations/{org}/projects/{project}/workspaces/{ws}",
        "/console/organizations/{org}/projects/{project}/workspaces/{ws}/credentials",
        "/console/organizations/{org}/projects/{project}/workspaces/{ws}/download",
        "/console/organizations/{org}/projects/{project}/download",
        "/console/organizations/{org}/services",
        "/console/organizations/{org}/integrations/{cred}",
        "/console/organizations/{org}/projects_workspaces/credentials/{cred}",
        "/console/organizations/{org}/members",
        "/console/organizations/{org}/audit",
        "/console/organizations/{org}/credentials/{cred}/secrets",
        "/console/clients/{client}/credential",
    ];

    private static string Fill(string template, OtherOrg o) => template.Replace("{org}", o.OrgId.ToString(), StringComparison.Ordinal)
        .Replace("{project}", o.ProjectId.ToString(), StringComparison.Ordinal).Replace("{ws}", o.WorkspaceId.ToString(), StringComparison.Ordinal)
        .Replace("{cred}", o.CredentialId.ToString(), StringComparison.Ordinal).Replace("{client}", o.ClientId, StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(OtherOrgUrls))]
    public async Task Another_orgs_ids_answer_404_to_the_demo_credential_and_to_a_demo_admin(string template)
    {
        _kiln.Start();
        var other = await _kiln.CreateOrgAsync();
        var url = Fill(template, other);
        var admin = await _kiln.CreateUserAsync("boss@example.com", _kiln.DemoOrg(), "admin");
        foreach (var http in new[] { await _kiln.DemoConsoleAsync(), await _kiln.UserClientAsync(admin, _kiln.DemoOrg()) })
        {
            var res = await http.GetAsync(url);
            var body = await res.Content.ReadAsStringAsync();
            await HttpAssert.GatewayErrorAsync(res, 404, "not_found");
            Assert.DoesNotContain(other.OrgCode, body, StringComparison.Ordinal);
        }
        // The same paths work for the other org's own credential (so the 404 above is about access, not a typo).
        var own = _kiln.Authed(await _kiln.TokenAsync(other.ClientId, other.ClientSecret, KilnFactory.IoScopes), other.ClientId);
        var ok = await own.GetAsync(url);
        Assert.True((int)ok.StatusCode is 200 or 403, $"{url}: {(int)ok.StatusCode}"); // 403: members are admin-only
    }

    [Fact]
    public async Task Writes_into_another_org_are_404_and_change_nothing()
    {
        var demo = _kiln.Start();
        var other = await _kiln.CreateOrgAsync();
        var http = await _kiln.DemoConsoleAsync();
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync($"/console/organizations/{other.OrgId}/projects", new { name = "intrude", title = "x", type = "default" }), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.DeleteAsync($"/console/organizations/{other.OrgId}/projects/{other.ProjectId}"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.DeleteAsync($"/console/organizations/{demo.OrgId}/projects/{other.ProjectId}"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.DeleteAsync(
            $"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces/{demo.WorkspaceId}/credentials/{other.CredentialId}"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync($"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server/{other.CredentialId}/service/unsubscribe",
            new { sdkCode = "FireflyAPI" }), 404, "not_found");
        await HttpAssert.JsonAsync(await _kiln.Http().PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"),
            ("client_id", other.ClientId), ("client_secret", other.ClientSecret), ("scope", "firefly_api")), 200);
    }

    [Fact]
    public async Task Organizations_lists_only_the_callers_orgs_with_role_and_roles()
    {
        var demo = _kiln.Start();
        var other = await _kiln.CreateOrgAsync();
        var dev = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var orgs = await HttpAssert.JsonAsync(await (await _kiln.UserClientAsync(dev, _kiln.DemoOrg())).GetAsync("/console/organizations"), 200);
        var only = Assert.Single(orgs.EnumerateArray());
        Assert.Equal(demo.OrgId, only.GetProperty("id").GetString());
        Assert.Equal(demo.OrgCode, only.GetProperty("code").GetString());
        Assert.Equal("developer", only.GetProperty("role").GetString());
        Assert.Equal("developer", Assert.Single(only.GetProperty("roles").EnumerateArray()).GetString());

        var cred = await HttpAssert.JsonAsync(await (await _kiln.DemoConsoleAsync()).GetAsync("/console/organizations"), 200);
        Assert.Equal(demo.OrgId, Assert.Single(cred.EnumerateArray()).GetProperty("id").GetString());
        Assert.NotEqual(other.OrgId.ToString(), demo.OrgId);
    }

    [Fact]
    public async Task Members_are_for_admins_only()
    {
        var demo = _kiln.Start();
        var dev = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var url = $"/console/organizations/{demo.OrgId}/members";
        var devHttp = await _kiln.UserClientAsync(dev, _kiln.DemoOrg());
        await HttpAssert.GatewayErrorAsync(await devHttp.GetAsync(url), 403, "access_error");
        await HttpAssert.GatewayErrorAsync(await devHttp.PostJsonAsync(url, new { email = "x@example.com", role = "admin" }), 403, "access_error");
        await HttpAssert.GatewayErrorAsync(await (await _kiln.DemoConsoleAsync()).GetAsync(url), 403, "access_error");
        // A developer can do everything else.
        await devHttp.NewProjectAsync(demo.OrgId, "devproj");
        await HttpAssert.JsonAsync(await devHttp.GetAsync($"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets"), 200);
    }

    [Fact]
    public async Task A_credential_without_adobeio_api_may_only_manage_its_own_secrets()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoClientAsync("read_client_secret,manage_client_secrets");
        await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets"), 200);
        var res = await http.GetAsync($"/console/organizations/{demo.OrgId}/projects");
        await HttpAssert.GatewayErrorAsync(res, 403, "access_error");
        Assert.Equal("invalid_ims_scope", res.Headers.GetValues("x-access-error").Single());
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/projects", new { name = "nope", title = "x", type = "default" }), 403, "access_error");

        // Another credential's secrets in the same org: 404.
        var admin = await _kiln.DemoConsoleAsync();
        var other = await admin.NewCredentialAsync(demo.OrgId, demo.ProjectId, demo.WorkspaceId, "sibling");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/credentials/{other.GetProperty("id").GetString()}/secrets"), 404, "not_found");
    }

    [Fact]
    public async Task An_admin_manages_members_and_the_last_admin_stays()
    {
        var demo = _kiln.Start();
        var adminId = await _kiln.CreateUserAsync("boss@example.com", _kiln.DemoOrg(), "admin");
        var http = await _kiln.UserClientAsync(adminId, _kiln.DemoOrg());
        var url = $"/console/organizations/{demo.OrgId}/members";

        var added = await HttpAssert.JsonAsync(await http.PostJsonAsync(url, new { email = "New@Example.com", role = "developer" }), 201);
        Assert.Equal("new@example.com", added.GetProperty("email").GetString());
        Assert.Equal("developer", added.GetProperty("role").GetString());
        var password = added.GetProperty("password").GetString()!;
        var newId = added.GetProperty("user_id").GetString()!;
        Assert.True(await _kiln.WithDbAsync(async (db, _) => await Kiln.Server.Users.UserAccounts.VerifyPasswordAsync(db, "new@example.com", password, default) is not null));
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync(url, new { email = "new@example.com", role = "admin" }), 409, "member_exists");
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync(url, new { email = "not-an-email", role = "admin" }), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync(url, new { email = "a@b.c", role = "owner" }), 400, "bad_request");

        var list = await HttpAssert.JsonAsync(await http.GetAsync(url), 200);
        Assert.Contains(list.EnumerateArray(), m => m.GetProperty("email").GetString() == "boss@example.com" && m.GetProperty("role").GetString() == "admin");
        Assert.Contains(list.EnumerateArray(), m => m.GetProperty("user_id").GetString() == newId);

        var promoted = await HttpAssert.JsonAsync(await http.PatchJsonAsync($"{url}/{newId}", new { role = "admin" }), 200);
        Assert.Equal("admin", promoted.GetProperty("role").GetString());
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await http.DeleteAsync($"{url}/{newId}")).StatusCode);
        await HttpAssert.GatewayErrorAsync(await http.DeleteAsync($"{url}/{newId}"), 404, "not_found");

        // The first-start admin is also an admin of the demo org; remove it, then boss is the last admin.
        var firstAdmin = list.EnumerateArray().Single(m => m.GetProperty("email").GetString() == "admin@kiln.local").GetProperty("user_id").GetString();
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await http.DeleteAsync($"{url}/{firstAdmin}")).StatusCode);
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync($"{url}/{adminId}", new { role = "developer" }), 409, "last_admin");
        await HttpAssert.GatewayErrorAsync(await http.DeleteAsync($"{url}/{adminId}"), 409, "last_admin");

        var audit = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/audit?action=member."), 200);
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("action").GetString() == "member.role" && a.GetProperty("actor_type").GetString() == "user");
    }
}
