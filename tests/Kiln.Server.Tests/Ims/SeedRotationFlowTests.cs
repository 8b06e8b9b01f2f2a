using Kiln.Server.Hosting;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Ims;

/// <summary>
/// The seed's secret-rotation guide, step by step, with the real curl binary against a started `kiln serve`
/// process, with only the host changed.
/// </summary>
public sealed class SeedRotationFlowTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-seed-").FullName;
    private KilnProcess _kiln = null!;
    private DemoCredential _demo = null!;

    private const string IoScopes = "AdobeID,openid,read_organizations,additional_info.projectedProductContext,additional_info.roles,adobeio_api,read_client_secret,manage_client_secrets";

    public async Task InitializeAsync()
    {
        _kiln = await KilnProcess.StartAsync(_dir);
        _demo = (await Bootstrap.ReadFileAsync(_dir, default))!;
    }

    public async Task DisposeAsync()
    {
        await _kiln.DisposeAsync();
        TestDatabase.Drop(_dir);
        Directory.Delete(_dir, true);
    }

    private Task<Curl.Response> TokenAsync(string secret) => Curl.RunAsync("-X", "POST", $"{_kiln.BaseUrl}/ims/token/v3",
        "-H", "Content-Type: application/x-www-form-urlencoded",
        "-d", $"client_id={_demo.ClientId}&client_secret={secret}&grant_type=client_credentials&scope={IoScopes}");

    private Task<Curl.Response> SecretsAsync(string method, string token, string suffix = "") => Curl.RunAsync("-X", method,
        $"{_kiln.BaseUrl}/console/organizations/{_demo.OrgId}/credentials/{_demo.CredentialId}/secrets{suffix}",
        "-H", $"Authorization: Bearer {token}", "-H", $"x-api-key: {_demo.ClientId}");

    [Fact]
    public async Task Documented_rotation_flow_works_end_to_end()
    {
        // 1. A token with the I/O Management API scopes.
        var first = await TokenAsync(_demo.ClientSecret);
        Assert.Equal(200, first.Status);
        var oldToken = first.Json.GetProperty("access_token").GetString()!;

        // 2. List the secrets: one, no plaintext.
        var list = await SecretsAsync("GET", oldToken);
        Assert.Equal(200, list.Status);
        Assert.DoesNotContain(_demo.ClientSecret, list.Body, StringComparison.Ordinal);
        var oldUuid = list.Json.GetProperty("client_secrets")[0].GetProperty("uuid").GetString()!;

        // 3. Generate a new secret (201, plaintext once) and get a token with it.
        var added = await SecretsAsync("POST", oldToken);
        Assert.Equal(201, added.Status);
        var newSecret = added.Json.GetProperty("client_secret").GetString()!;
        var newUuid = added.Json.GetProperty("uuid").GetString()!;
        var second = await TokenAsync(newSecret);
        Assert.Equal(200, second.Status);
        var newToken = second.Json.GetProperty("access_token").GetString()!;

        // 4. The list shows last_used_at for the new secret.
        var after = (await SecretsAsync("GET", newToken)).Json.GetProperty("client_secrets").EnumerateArray()
            .Single(s => s.GetProperty("uuid").GetString() == newUuid);
        var usage = after.GetProperty("secret_usages")[0];
        Assert.Equal("client_credentials", usage.GetProperty("grant_type").GetString());
        Assert.True(long.Parse(usage.GetProperty("last_used_at").GetString()!) > 0);

        // 5. Delete the old secret: 204.
        var deleted = await SecretsAsync("DELETE", newToken, "/" + oldUuid);
        Assert.Equal(204, deleted.Status);
        Assert.Equal("", deleted.Body);

        // 6. The old secret is refused, its tokens are refused, the new secret works.
        var refused = await TokenAsync(_demo.ClientSecret);
        Assert.Equal(400, refused.Status);
        Assert.Equal("invalid_client", refused.Json.GetProperty("error").GetString());
        Assert.Equal("invalid client_secret parameter", refused.Json.GetProperty("error_description").GetString());
        var oldTokenUse = await SecretsAsync("GET", oldToken);
        Assert.Equal(401, oldTokenUse.Status);
        Assert.Equal("401013", oldTokenUse.Json.GetProperty("error_code").GetString());
        Assert.Equal(200, (await SecretsAsync("GET", newToken)).Status);
        Assert.Equal(200, (await TokenAsync(newSecret)).Status);
    }
}
