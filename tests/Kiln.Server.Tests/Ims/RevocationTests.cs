using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Ims;

/// <summary>Revocation beats the validation cache: deleted secrets, invalidated tokens (docs/identity.md#revocation).</summary>
public sealed class RevocationTests : IDisposable
{
    private readonly KilnFactory _kiln = new KilnFactory().With("Kiln:Ims:MaxSecretsPerCredential", "3");

    public void Dispose() => _kiln.Dispose();

    private string SecretsUrl => $"/console/organizations/{_kiln.Demo.OrgId}/credentials/{_kiln.Demo.CredentialId}/secrets";

    [Fact]
    public async Task Deleting_a_secret_kills_its_cached_tokens_on_the_next_request()
    {
        _kiln.Start();
        var oldClient = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        // Warm the validation cache with many hits.
        for (var i = 0; i < 5; i++) await HttpAssert.JsonAsync(await oldClient.GetAsync(SecretsUrl), 200);

        var added = await HttpAssert.JsonAsync(await oldClient.PostEmptyAsync(SecretsUrl), 201);
        var newClient = _kiln.Authed(await _kiln.TokenAsync(_kiln.Demo.ClientId, added.GetProperty("client_secret").GetString()!, KilnFactory.IoScopes), _kiln.Demo.ClientId);
        var oldUuid = Jwt.Payload(oldClient.DefaultRequestHeaders.Authorization!.Parameter!).GetProperty("sid").GetString();

        Assert.Equal(204, (int)(await newClient.DeleteAsync($"{SecretsUrl}/{oldUuid}")).StatusCode);
        await HttpAssert.GatewayErrorAsync(await oldClient.GetAsync(SecretsUrl), 401, "401013");
        await HttpAssert.JsonAsync(await newClient.GetAsync(SecretsUrl), 200);
    }

    [Fact]
    public async Task Invalidated_token_is_refused_and_validate_reports_it()
    {
        _kiln.Start();
        var token = await _kiln.DemoTokenAsync(KilnFactory.IoScopes);
        var client = _kiln.Authed(token, _kiln.Demo.ClientId);
        await HttpAssert.JsonAsync(await client.GetAsync(SecretsUrl), 200);

        var validBefore = await HttpAssert.JsonAsync(await _kiln.Http().PostFormAsync("/ims/validate_token/v1", ("type", "access_token"), ("token", token)), 200);
        Assert.True(validBefore.GetProperty("valid").GetBoolean());
        Assert.Equal(_kiln.Demo.ClientId, validBefore.GetProperty("token").GetProperty("client_id").GetString());

        using var form = new MultipartFormDataContent
        {
            { new StringContent("access_token"), "token_type" }, { new StringContent(token), "token" },
            { new StringContent("all"), "cascading" }, { new StringContent(_kiln.Demo.ClientId), "client_id" },
            { new StringContent(_kiln.Demo.ClientSecret), "client_secret" },
        };
        Assert.Equal(200, (int)(await _kiln.Http().PostAsync("/ims/invalidate_token/v2", form)).StatusCode);

        await HttpAssert.GatewayErrorAsync(await client.GetAsync(SecretsUrl), 401, "401013");
        var validAfter = await HttpAssert.JsonAsync(await _kiln.Http().PostFormAsync("/ims/validate_token/v1", ("token", token)), 200);
        Assert.False(validAfter.GetProperty("valid").GetBoolean());
        Assert.False(string.IsNullOrEmpty(validAfter.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Invalidate_with_a_wrong_client_secret_is_refused_and_revokes_nothing()
    {
        _kiln.Start();
        var token = await _kiln.DemoTokenAsync(KilnFactory.IoScopes);
        var res = await _kiln.Http().PostFormAsync("/ims/invalidate_token/v2", ("token", token), ("client_id", _kiln.Demo.ClientId), ("client_secret", "wrong"));
        await HttpAssert.OAuthErrorAsync(res, 400, "invalid_client");
        await HttpAssert.JsonAsync(await _kiln.Authed(token, _kiln.Demo.ClientId).GetAsync(SecretsUrl), 200);
    }

    [Fact]
    public async Task Validate_token_always_answers_200_with_bearer_header()
    {
        _kiln.Start();
        var c = _kiln.Http();
        c.DefaultRequestHeaders.Authorization = new("Bearer", "not-a-token");
        var json = await HttpAssert.JsonAsync(await c.PostFormAsync("/ims/validate_token/v1", ("type", "access_token"), ("client_id", _kiln.Demo.ClientId)), 200);
        Assert.False(json.GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task Organizations_v6_lists_the_callers_org()
    {
        _kiln.Start();
        var c = _kiln.Http();
        c.DefaultRequestHeaders.Authorization = new("Bearer", await _kiln.DemoTokenAsync());
        var orgs = await c.GetFromJsonAsync<JsonElement>("/ims/organizations/v6");
        Assert.Equal(_kiln.Demo.OrgCode, orgs[0].GetProperty("orgCode").GetString());
        Assert.Equal(401, (int)(await _kiln.Http().GetAsync("/ims/organizations/v6")).StatusCode);
    }
}
