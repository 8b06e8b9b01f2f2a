using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// <c>PATCH /console/organizations/{orgId}/integrations/{intId}</c> (docs/console.md#endpoints): renames a credential and sets its
/// description through the operation the UI's "Edit credential" uses; bad input is a 400 in the contract shape, other orgs 404.
/// </summary>
public sealed class CredentialEditApiTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private static string Url(string orgId, string credentialId) => $"/console/organizations/{orgId}/integrations/{credentialId}";

    [Fact]
    public async Task Patch_renames_and_describes_a_credential_answers_the_integration_and_audits_it()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var made = await http.NewCredentialAsync(demo.OrgId, demo.ProjectId, demo.WorkspaceId, "before", "FireflyAPI");
        var id = made.GetProperty("id").GetString()!;

        var json = await HttpAssert.JsonAsync(await http.PatchJsonAsync(Url(demo.OrgId, id), new { name = "after", description = "what it is for" }), 200);
        Assert.Equal(id, json.GetProperty("id").GetString());
        Assert.Equal("after", json.GetProperty("name").GetString());
        Assert.Equal("what it is for", json.GetProperty("description").GetString());
        Assert.Equal(made.GetProperty("apiKey").GetString(), json.GetProperty("apikey").GetString());
        Assert.Equal(["FireflyAPI"], json.GetProperty("sdkList").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.DoesNotContain("client_secret", json.GetRawText(), StringComparison.Ordinal);

        // What GET and the workspace's list say now.
        var read = await HttpAssert.JsonAsync(await http.GetAsync(Url(demo.OrgId, id)), 200);
        Assert.Equal("after", read.GetProperty("name").GetString());
        var list = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces/{demo.WorkspaceId}/credentials"), 200);
        Assert.Contains(list.EnumerateArray(), c => c.GetProperty("name").GetString() == "after");

        // Only the description: the name stays. Only the name: the description stays.
        json = await HttpAssert.JsonAsync(await http.PatchJsonAsync(Url(demo.OrgId, id), new { description = "" }), 200);
        Assert.Equal(("after", ""), (json.GetProperty("name").GetString(), json.GetProperty("description").GetString()));
        json = await HttpAssert.JsonAsync(await http.PatchJsonAsync(Url(demo.OrgId, id), new { name = "  after again  ", description = "kept" }), 200);
        json = await HttpAssert.JsonAsync(await http.PatchJsonAsync(Url(demo.OrgId, id), new { name = "final" }), 200);
        Assert.Equal(("final", "kept"), (json.GetProperty("name").GetString(), json.GetProperty("description").GetString()));

        var audit = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/audit?action=credential.update&target=credential:{id}"), 200);
        var details = audit.EnumerateArray().Select(a => a.GetProperty("detail").GetString()).ToList();
        Assert.Equal(4, details.Count);
        Assert.Contains("Credential before renamed to after", details);
        Assert.Contains("Credential after again renamed to final", details);
        Assert.All(audit.EnumerateArray(), a => Assert.Equal(_kiln.Demo.ClientId, a.GetProperty("actor").GetString()));

        // A developer (user token) may edit too, like every Console route but members.
        var dev = await _kiln.CreateUserAsync("editor@example.com", _kiln.DemoOrg(), "developer");
        var devHttp = await _kiln.UserClientAsync(dev, _kiln.DemoOrg());
        json = await HttpAssert.JsonAsync(await devHttp.PatchJsonAsync(Url(demo.OrgId, id), new { name = "by the developer" }), 200);
        Assert.Equal("by the developer", json.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"name\":null,\"description\":null}")]
    [InlineData("{\"name\":\"\"}")]
    [InlineData("{\"name\":\"   \"}")]
    [InlineData("{\"name\":5}")]
    [InlineData("{\"description\":[\"x\"]}")]
    [InlineData("[]")]
    [InlineData("\"after\"")]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("{\"name\":\"ok\",\"description\":\"ok\"")]
    public async Task Bad_bodies_are_400_in_the_contract_shape_and_change_nothing(string body)
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        await HttpAssert.GatewayErrorAsync(await http.SendRawAsync(HttpMethod.Patch, Url(demo.OrgId, demo.CredentialId), body), 400, "bad_request");
        var read = await HttpAssert.JsonAsync(await http.GetAsync(Url(demo.OrgId, demo.CredentialId)), 200);
        Assert.Equal("Demo credential", read.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Too_long_look_alike_and_taken_names_are_refused()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var url = Url(demo.OrgId, demo.CredentialId);
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync(url, new { name = new string('n', 101) }), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync(url, new { description = new string('d', 1001) }), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync(url, new { name = "zero\u200Bwidth" }), 400, "bad_request");
        await http.NewCredentialAsync(demo.OrgId, demo.ProjectId, demo.WorkspaceId, "taken");
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync(url, new { name = "taken" }), 409, "ERR_MSG_DUPLICATE_NAME");
        // Its own name again is no conflict.
        await HttpAssert.JsonAsync(await http.PatchJsonAsync(url, new { name = "Demo credential", description = "same name" }), 200);
        var read = await HttpAssert.JsonAsync(await http.GetAsync(url), 200);
        Assert.Equal(("Demo credential", "same name"), (read.GetProperty("name").GetString(), read.GetProperty("description").GetString()));
    }

    [Fact]
    public async Task Unknown_ids_other_orgs_and_callers_without_the_scope_are_refused()
    {
        var demo = _kiln.Start();
        var other = await _kiln.CreateOrgAsync();
        var http = await _kiln.DemoConsoleAsync();
        var body = new { name = "hijacked" };
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync(Url(demo.OrgId, "123456789012345678"), body), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.PatchJsonAsync(Url(demo.OrgId, "not-an-id"), body), 404, "not_found");
        // Another org's credential, by its own org and under the caller's org: 404 naming nothing, and unchanged.
        foreach (var url in new[] { Url(other.OrgId.ToString(), other.CredentialId.ToString()), Url(demo.OrgId, other.CredentialId.ToString()) })
        {
            var res = await http.PatchJsonAsync(url, body);
            var text = await res.Content.ReadAsStringAsync();
            await HttpAssert.GatewayErrorAsync(res, 404, "not_found");
            Assert.DoesNotContain(other.OrgCode, text, StringComparison.Ordinal);
        }
        var admin = await _kiln.CreateUserAsync("boss@example.com", _kiln.DemoOrg(), "admin");
        await HttpAssert.GatewayErrorAsync(await (await _kiln.UserClientAsync(admin, _kiln.DemoOrg()))
            .PatchJsonAsync(Url(other.OrgId.ToString(), other.CredentialId.ToString()), body), 404, "not_found");
        var own = _kiln.Authed(await _kiln.TokenAsync(other.ClientId, other.ClientSecret, KilnFactory.IoScopes), other.ClientId);
        var theirs = await HttpAssert.JsonAsync(await own.GetAsync(Url(other.OrgId.ToString(), other.CredentialId.ToString())), 200);
        Assert.Equal("Other credential", theirs.GetProperty("name").GetString());

        // No token: 401. A credential without adobeio_api: 403 at the gate.
        using var anonymous = _kiln.Http();
        await HttpAssert.GatewayErrorAsync(await anonymous.PatchJsonAsync(Url(demo.OrgId, demo.CredentialId), body), 401, "401013");
        var secretsOnly = await _kiln.DemoClientAsync("read_client_secret,manage_client_secrets");
        var refused = await secretsOnly.PatchJsonAsync(Url(demo.OrgId, demo.CredentialId), body);
        Assert.Equal("invalid_ims_scope", refused.Headers.GetValues("x-access-error").Single());
        await HttpAssert.GatewayErrorAsync(refused, 403, "access_error");
        var read = await HttpAssert.JsonAsync(await http.GetAsync(Url(demo.OrgId, demo.CredentialId)), 200);
        Assert.Equal("Demo credential", read.GetProperty("name").GetString());
    }
}
