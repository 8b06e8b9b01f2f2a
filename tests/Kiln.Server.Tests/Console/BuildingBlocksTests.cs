using Kiln.Server.Core;
using Kiln.Server.Console;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Console;

/// <summary>The building blocks the web UI calls directly, and the audit filters it shows.</summary>
public sealed class BuildingBlocksTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Generate_token_mints_a_working_token_that_dies_with_its_secret()
    {
        var demo = _kiln.Start();
        var userId = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var generated = await _kiln.WithDbAsync((db, sp) => sp.GetRequiredService<CredentialOps>().GenerateTokenAsync(
            Actor.ForUser(userId, "127.0.0.1"), _kiln.DemoOrg(), long.Parse(demo.CredentialId, System.Globalization.CultureInfo.InvariantCulture), default));
        Assert.False(generated.Failed(out var error, out var token), error?.Message);
        var claims = Jwt.Payload(token.AccessToken);
        Assert.Equal(demo.CredentialId, claims.GetProperty("cred").GetString());
        Assert.Contains("firefly_api", claims.GetProperty("scope").GetString(), StringComparison.Ordinal);
        var http = _kiln.Authed(token.AccessToken, demo.ClientId);
        await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects"), 200);

        // Delete the secret it is bound to (forced: it is the last one): the token dies at once.
        var secrets = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets"), 200);
        var uuid = Assert.Single(secrets.GetProperty("client_secrets").EnumerateArray()).GetProperty("uuid").GetString();
        Assert.Equal(uuid, claims.GetProperty("sid").GetString());
        var user = await _kiln.UserClientAsync(userId, _kiln.DemoOrg());
        Assert.Equal(System.Net.HttpStatusCode.NoContent,
            (await user.DeleteAsync($"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets/{uuid}?force=true")).StatusCode);
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects"), 401, "401013");

        var refused = await _kiln.WithDbAsync((db, sp) => sp.GetRequiredService<CredentialOps>().GenerateTokenAsync(Actor.System, _kiln.DemoOrg(),
            long.Parse(demo.CredentialId, System.Globalization.CultureInfo.InvariantCulture), default));
        Assert.True(refused.Failed(out var noSecret, out var none));
        Assert.Null(none);
        Assert.Equal("no_secret", noSecret.Code);
    }

    [Fact]
    public async Task Audit_filters_by_actor_type_target_and_action()
    {
        var demo = _kiln.Start();
        var userId = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var user = await _kiln.UserClientAsync(userId, _kiln.DemoOrg());
        var cred = await _kiln.DemoConsoleAsync();
        var (pid, _) = await user.NewProjectAsync(demo.OrgId, "byuser");
        await cred.NewProjectAsync(demo.OrgId, "bycred");
        var url = $"/console/organizations/{demo.OrgId}/audit";

        var users = await HttpAssert.JsonAsync(await cred.GetAsync(url + "?actorType=user&action=project."), 200);
        var one = Assert.Single(users.EnumerateArray());
        Assert.Equal($"project:{pid}", one.GetProperty("target").GetString());
        Assert.Equal($"{userId}@kiln.local", one.GetProperty("actor").GetString());
        var byTarget = await HttpAssert.JsonAsync(await cred.GetAsync(url + $"?target=project:{pid}"), 200);
        Assert.Equal("project.create", Assert.Single(byTarget.EnumerateArray()).GetProperty("action").GetString());
        var creds = await HttpAssert.JsonAsync(await cred.GetAsync(url + "?actorType=credential&action=project.create"), 200);
        Assert.Equal(demo.ClientId, Assert.Single(creds.EnumerateArray()).GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Console_sdk_style_requests_with_a_json_content_type_and_no_body_work()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        foreach (var url in new[] { "/console/organizations", $"/console/organizations/{demo.OrgId}/projects" })
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, url) { Content = new StringContent("", System.Text.Encoding.UTF8, "application/json") };
            await HttpAssert.JsonAsync(await http.SendAsync(req), 200);
        }
    }
}
