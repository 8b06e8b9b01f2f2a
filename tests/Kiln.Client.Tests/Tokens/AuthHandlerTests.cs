using Kiln.Client.Tests.Infrastructure;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Client.Tests.Tokens;

/// <summary>KilnAuthHandler and secret fallback through the DI pipeline, against a real Kiln.</summary>
public sealed class AuthHandlerTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Requests_carry_bearer_and_api_key_and_a_401_is_retried_once_with_a_renewed_token()
    {
        var demo = _kiln.Start();
        var (secondUuid, second) = await SecretsAdmin.AddAsync(_kiln);
        using var client = new ClientHarness(_kiln, o => o.ClientSecrets.Add(second));
        var before = await client.Console.ListSecretsAsync(demo.OrgId, demo.CredentialId);
        Assert.Equal(2, before.ClientSecrets.Count);
        Assert.Equal(0, client.Tokens.CurrentSecretIndex);

        // The token in the cache was minted by the first secret; deleting that secret revokes it at once.
        await SecretsAdmin.DeleteAsync(_kiln, before.ClientSecrets.Single(s => s.Uuid != secondUuid).Uuid, second);
        var after = await client.Console.ListSecretsAsync(demo.OrgId, demo.CredentialId);

        Assert.Equal([secondUuid], after.ClientSecrets.Select(s => s.Uuid));
        var path = SecretsAdmin.Path(_kiln);
        Assert.Equal([$"GET {path} -> 200", $"GET {path} -> 401", $"GET {path} -> 200"], client.ConsoleRequests.Entries);
        Assert.Equal(1, client.Tokens.CurrentSecretIndex);
        Assert.Equal(2, client.TokenRequests.Entries.Count(e => e.EndsWith("200", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_401_is_retried_only_once()
    {
        var demo = _kiln.Start();
        using var client = new ClientHarness(_kiln);
        client.ConsoleFault = r => new HttpResponseMessage(System.Net.HttpStatusCode.Unauthorized)
        {
            Content = new StringContent("""{"error_code":"401013","message":"Oauth token is not valid"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        var e = await Assert.ThrowsAsync<ConsoleApiException>(() => client.Console.ListSecretsAsync(demo.OrgId, demo.CredentialId));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, e.StatusCode);
        Assert.Equal("401013", e.ErrorCode);
        Assert.Equal(2, client.ConsoleRequests.Count);
        Assert.Equal(2, client.TokenRequests.Count); // the original token and one forced renewal
    }

    [Fact]
    public async Task Secret_fallback_skips_a_deleted_first_secret_and_reports_index_1()
    {
        var demo = _kiln.Start();
        var (_, second) = await SecretsAdmin.AddAsync(_kiln);
        await SecretsAdmin.DeleteAsync(_kiln, await FirstUuidAsync(second), second);
        using var client = new ClientHarness(_kiln, o => o.ClientSecrets.Add(second));
        var events = new List<SecretFallbackEventArgs>();
        client.Tokens.SecretFallback += (_, e) => events.Add(e);

        var token = await client.Tokens.TryGetTokenAsync();

        Assert.True(token.IsSuccess, token.ToString());
        Assert.Equal(1, token.SecretIndex);
        Assert.Equal(1, client.Tokens.CurrentSecretIndex);
        var e = Assert.Single(events);
        Assert.Equal((0, 1, "invalid client_secret parameter"), (e.FromIndex, e.ToIndex, e.Reason));
        Assert.Equal(["POST /ims/token/v3 -> 400", "POST /ims/token/v3 -> 200"], client.TokenRequests.Entries);

        // The working secret is remembered: a renewal starts with it.
        await client.Tokens.TryRenewAsync(token.AccessToken);
        Assert.Equal(3, client.TokenRequests.Count);
        Assert.NotNull(demo);
    }

    [Fact]
    public async Task An_unknown_client_id_does_not_fall_back()
    {
        _kiln.Start();
        using var client = new ClientHarness(_kiln, o => { o.ClientId = "0123456789abcdef0123456789abcdef"; o.ClientSecrets.Add("other"); });
        var r = await client.Tokens.TryGetTokenAsync();
        Assert.Equal("invalid client_id parameter", r.ErrorDescription);
        Assert.Equal(1, client.TokenRequests.Count);
    }

    [Fact]
    public async Task No_request_goes_out_without_a_token()
    {
        var demo = _kiln.Start();
        using var client = new ClientHarness(_kiln, o => { o.ClientSecrets.Clear(); o.ClientSecrets.Add("wrong"); });
        var e = await Assert.ThrowsAsync<KilnAuthenticationException>(() => client.Console.ListSecretsAsync(demo.OrgId, demo.CredentialId));
        Assert.Equal("invalid_client", e.Result.Error);
        Assert.Equal(0, client.ConsoleRequests.Count);
    }

    private async Task<string> FirstUuidAsync(string usingSecret) => (await SecretsAdmin.UuidsAsync(_kiln, usingSecret))[0];
}
