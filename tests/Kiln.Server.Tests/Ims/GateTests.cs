using System.Net.Http.Headers;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Ims;

/// <summary>The resource gate's 401 and 403 cases (docs/identity.md#the-gate-for-resource-apis), on a Console route.</summary>
public sealed class GateTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    public GateTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    private string SecretsUrl => $"/console/organizations/{_kiln.Demo.OrgId}/credentials/{_kiln.Demo.CredentialId}/secrets";

    private HttpClient With(string? bearer, string? apiKey)
    {
        var c = _kiln.Http();
        if (bearer is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (apiKey is not null) c.DefaultRequestHeaders.Add("x-api-key", apiKey);
        return c;
    }

    [Fact]
    public async Task Missing_token_is_401_401013()
    {
        _kiln.Start();
        await HttpAssert.GatewayErrorAsync(await With(null, _kiln.Demo.ClientId).GetAsync(SecretsUrl), 401, "401013");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJ0eXBlIjoiYWNjZXNzX3Rva2VuIn0.")]
    public async Task Invalid_token_is_401_401013(string token)
    {
        _kiln.Start();
        await HttpAssert.GatewayErrorAsync(await With(token, _kiln.Demo.ClientId).GetAsync(SecretsUrl), 401, "401013");
    }

    [Fact]
    public async Task Missing_api_key_is_403_403000()
    {
        _kiln.Start();
        var token = await _kiln.DemoTokenAsync();
        await HttpAssert.GatewayErrorAsync(await With(token, null).GetAsync(SecretsUrl), 403, "403000");
    }

    [Fact]
    public async Task Api_key_that_is_not_the_tokens_client_id_is_403_403003()
    {
        _kiln.Start();
        var token = await _kiln.DemoTokenAsync();
        await HttpAssert.GatewayErrorAsync(await With(token, "0123456789abcdef0123456789abcdef").GetAsync(SecretsUrl), 403, "403003");
    }

    [Fact]
    public async Task Missing_scope_is_403_access_error_with_the_header()
    {
        _kiln.Start();
        var token = await _kiln.DemoTokenAsync("firefly_api,ff_apis");
        var res = await With(token, _kiln.Demo.ClientId).GetAsync(SecretsUrl);
        await HttpAssert.GatewayErrorAsync(res, 403, "access_error");
        Assert.Equal("invalid_ims_scope", res.Headers.GetValues("x-access-error").Single());
    }

    [Fact]
    public async Task Read_scope_alone_lists_but_cannot_add()
    {
        _kiln.Start();
        var token = await _kiln.DemoTokenAsync("read_client_secret");
        var http = With(token, _kiln.Demo.ClientId);
        await HttpAssert.JsonAsync(await http.GetAsync(SecretsUrl), 200);
        await HttpAssert.GatewayErrorAsync(await http.PostEmptyAsync(SecretsUrl), 403, "access_error");
    }

    [Fact]
    public async Task Expired_token_is_401_even_after_it_was_accepted_and_cached()
    {
        _kiln.Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        await HttpAssert.JsonAsync(await http.GetAsync(SecretsUrl), 200);
        _clock.Advance(TimeSpan.FromHours(24));
        await HttpAssert.GatewayErrorAsync(await http.GetAsync(SecretsUrl), 401, "401013");
    }

    [Fact]
    public async Task Every_response_carries_x_request_id_echoing_the_clients()
    {
        _kiln.Start();
        var c = _kiln.Http();
        c.DefaultRequestHeaders.Add("x-request-id", "my-request-42");
        var res = await c.GetAsync(SecretsUrl);
        Assert.Equal("my-request-42", res.Headers.GetValues("x-request-id").Single());
        var generated = await _kiln.Http().GetAsync("/health/live");
        Assert.False(string.IsNullOrEmpty(generated.Headers.GetValues("x-request-id").Single()));
    }
}
