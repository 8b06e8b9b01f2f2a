using System.Text.Json;
using Kiln.Server.Ims;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Console;

/// <summary>The secrets API rules of docs/console.md#client-secrets and docs/console.md#client-secret-rules.</summary>
public sealed class SecretsApiTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private string SecretsUrl => $"/console/organizations/{_kiln.Demo.OrgId}/credentials/{_kiln.Demo.CredentialId}/secrets";

    [Fact]
    public async Task Add_returns_the_plaintext_once_in_the_documented_shape()
    {
        _kiln.Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        var res = await http.PostEmptyAsync(SecretsUrl);
        var json = await HttpAssert.JsonAsync(res, 201);
        Assert.Equal(["client_secret", "created_at", "created_at_str", "expires_at", "expires_at_str", "secret_usages", "uuid"],
            json.EnumerateObject().Select(p => p.Name).Order().ToArray());
        Assert.StartsWith(SecretHasher.Prefix, json.GetProperty("client_secret").GetString());
        Assert.Matches("^[0-9a-f]{32}$", json.GetProperty("uuid").GetString());
        Assert.Matches("^[0-9]{13}$", json.GetProperty("created_at").GetString());
        Assert.Matches(@"^\w{3}, \w{3} \d{2} \d{4} \d{2}:\d{2}:\d{2}\.\d{3} UTC$", json.GetProperty("created_at_str").GetString());
        Assert.Equal("PERMANENT", json.GetProperty("expires_at").GetString());
        Assert.Equal("PERMANENT", json.GetProperty("expires_at_str").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("secret_usages").ValueKind);

        var list = await HttpAssert.JsonAsync(await http.GetAsync(SecretsUrl), 200);
        Assert.Equal(_kiln.Demo.ClientId, list.GetProperty("client_id").GetString());
        Assert.DoesNotContain(json.GetProperty("client_secret").GetString()!, list.ToString(), StringComparison.Ordinal);
        Assert.All(list.GetProperty("client_secrets").EnumerateArray(), s => Assert.False(s.TryGetProperty("client_secret", out _)));
    }

    [Fact]
    public async Task Adding_past_the_limit_is_409_secret_limit_reached()
    {
        _kiln.Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        await HttpAssert.JsonAsync(await http.PostEmptyAsync(SecretsUrl), 201);
        await HttpAssert.GatewayErrorAsync(await http.PostEmptyAsync(SecretsUrl), 409, "secret_limit_reached");
        var list = await HttpAssert.JsonAsync(await http.GetAsync(SecretsUrl), 200);
        Assert.Equal(2, list.GetProperty("client_secrets").GetArrayLength());
    }

    [Fact]
    public async Task Limit_is_configurable_up_to_five()
    {
        _kiln.With("Kiln:Ims:MaxSecretsPerCredential", "5").Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        for (var i = 0; i < 4; i++) await HttpAssert.JsonAsync(await http.PostEmptyAsync(SecretsUrl), 201);
        await HttpAssert.GatewayErrorAsync(await http.PostEmptyAsync(SecretsUrl), 409, "secret_limit_reached");
    }

    [Fact]
    public async Task Concurrent_adds_never_exceed_the_limit()
    {
        _kiln.With("Kiln:Ims:MaxSecretsPerCredential", "3").Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => http.PostEmptyAsync(SecretsUrl)));
        Assert.All(results, r => Assert.Contains((int)r.StatusCode, new[] { 201, 409 }));
        var list = await HttpAssert.JsonAsync(await http.GetAsync(SecretsUrl), 200);
        Assert.Equal(3, list.GetProperty("client_secrets").GetArrayLength());
        Assert.Equal(list.GetProperty("client_secrets").GetArrayLength() - 1, results.Count(r => (int)r.StatusCode == 201));
    }

    [Fact]
    public async Task Deleting_the_last_secret_needs_force()
    {
        _kiln.Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        var uuid = (await HttpAssert.JsonAsync(await http.GetAsync(SecretsUrl), 200)).GetProperty("client_secrets")[0].GetProperty("uuid").GetString();
        await HttpAssert.GatewayErrorAsync(await http.DeleteAsync($"{SecretsUrl}/{uuid}"), 409, "last_secret");
        Assert.Equal(204, (int)(await http.DeleteAsync($"{SecretsUrl}/{uuid}?force=true")).StatusCode);
        await HttpAssert.OAuthErrorAsync(await _kiln.Http().PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"),
            ("client_id", _kiln.Demo.ClientId), ("client_secret", _kiln.Demo.ClientSecret)), 400, "invalid_client", "invalid client_secret parameter");
    }

    [Fact]
    public async Task Unknown_secret_and_malformed_ids_are_404()
    {
        _kiln.Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        await HttpAssert.GatewayErrorAsync(await http.DeleteAsync($"{SecretsUrl}/0123456789abcdef0123456789abcdef"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/abc/credentials/{_kiln.Demo.CredentialId}/secrets"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{_kiln.Demo.OrgId}/credentials/99999/secrets"), 404, "not_found");
        var bad = await http.DeleteAsync($"{SecretsUrl}/x?force=notabool");
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.StartsWith("application/json", bad.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Another_orgs_credential_answers_404_like_a_missing_one()
    {
        _kiln.Start();
        var other = await _kiln.SeedCredentialAsync();
        var otherClient = _kiln.Authed(await _kiln.TokenAsync(other.ClientId, other.Secret, KilnFactory.IoScopes), other.ClientId);
        var res = await otherClient.GetAsync(SecretsUrl);
        await HttpAssert.GatewayErrorAsync(res, 404, "not_found");
        var missing = await otherClient.GetAsync($"/console/organizations/{_kiln.Demo.OrgId}/credentials/123456789/secrets");
        Assert.Equal(await missing.Content.ReadAsStringAsync(), await res.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_credential_without_adobeio_api_manages_only_its_own_secrets()
    {
        _kiln.Start();
        var sibling = await _kiln.SeedCredentialAsync(long.Parse(_kiln.Demo.OrgId));
        var narrow = _kiln.Authed(await _kiln.TokenAsync(sibling.ClientId, sibling.Secret, "read_client_secret,manage_client_secrets"), sibling.ClientId);
        await HttpAssert.GatewayErrorAsync(await narrow.GetAsync(SecretsUrl), 404, "not_found");
        await HttpAssert.JsonAsync(await narrow.GetAsync($"/console/organizations/{_kiln.Demo.OrgId}/credentials/{sibling.CredentialId}/secrets"), 200);
        // With adobeio_api (developer role) it may manage a sibling credential in its org.
        var broad = _kiln.Authed(await _kiln.TokenAsync(sibling.ClientId, sibling.Secret, KilnFactory.IoScopes), sibling.ClientId);
        await HttpAssert.JsonAsync(await broad.GetAsync(SecretsUrl), 200);
    }

    [Fact]
    public async Task Secrets_are_hashed_at_rest()
    {
        _kiln.Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        var added = (await HttpAssert.JsonAsync(await http.PostEmptyAsync(SecretsUrl), 201)).GetProperty("client_secret").GetString()!;
        var text = TestDatabase.RawContents(_kiln.DataDir);
        Assert.DoesNotContain(added, text, StringComparison.Ordinal);
        Assert.DoesNotContain(_kiln.Demo.ClientSecret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(added[SecretHasher.Prefix.Length..], text, StringComparison.Ordinal);
    }
}
