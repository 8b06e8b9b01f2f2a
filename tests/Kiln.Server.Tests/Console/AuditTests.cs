using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Console;

/// <summary>Secret adds/deletes and failed token attempts (aggregated) are audited and listed.</summary>
public sealed class AuditTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    public AuditTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Secret_changes_and_failed_attempts_are_in_the_audit_log()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        var url = $"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets";
        var added = await HttpAssert.JsonAsync(await http.PostEmptyAsync(url), 201);
        Assert.Equal(204, (int)(await http.DeleteAsync($"{url}/{added.GetProperty("uuid").GetString()}")).StatusCode);
        for (var i = 0; i < 3; i++)
            await _kiln.Http().PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", demo.ClientId), ("client_secret", "nope"));

        _clock.Advance(TimeSpan.FromMinutes(1)); // the flusher writes the aggregated failures
        JsonElement failed = default;
        for (var i = 0; i < 50; i++)
        {
            await Task.Delay(100);
            var rows = await http.GetFromJsonAsync<JsonElement>($"/console/organizations/{demo.OrgId}/audit?action=token.failed");
            if (rows.GetArrayLength() > 0) { failed = rows[0]; break; }
        }
        Assert.Equal(3, failed.GetProperty("count").GetInt32());
        Assert.Equal(demo.ClientId, failed.GetProperty("target").GetString());
        Assert.Equal("127.0.0.1", failed.GetProperty("source_ip").GetString());

        var secretRows = await http.GetFromJsonAsync<JsonElement>($"/console/organizations/{demo.OrgId}/audit?action=secret.");
        var actions = secretRows.EnumerateArray().Select(r => r.GetProperty("action").GetString()).ToList();
        Assert.Equal(["secret.delete", "secret.add"], actions);
        Assert.All(secretRows.EnumerateArray(), r =>
        {
            Assert.Equal("credential", r.GetProperty("actor_type").GetString());
            Assert.Equal(demo.ClientId, r.GetProperty("actor").GetString());
            Assert.Equal("127.0.0.1", r.GetProperty("source_ip").GetString());
        });
        var byActor = await http.GetFromJsonAsync<JsonElement>($"/console/organizations/{demo.OrgId}/audit?actor=someone-else");
        Assert.Equal(0, byActor.GetArrayLength());
    }

    [Fact]
    public async Task Audit_of_another_org_is_404()
    {
        _kiln.Start();
        var other = await _kiln.SeedCredentialAsync();
        var client = _kiln.Authed(await _kiln.TokenAsync(other.ClientId, other.Secret, KilnFactory.IoScopes), other.ClientId);
        await HttpAssert.GatewayErrorAsync(await client.GetAsync($"/console/organizations/{_kiln.Demo.OrgId}/audit"), 404, "not_found");
    }
}
