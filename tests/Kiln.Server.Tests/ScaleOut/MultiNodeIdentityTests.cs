using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Kiln.Server.Hosting;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>Two `kiln serve` processes on one PostgreSQL database: tokens, revocation and throttling hold across nodes.</summary>
public sealed class MultiNodeIdentityTests : IAsyncLifetime
{
    private readonly string _dirA = Directory.CreateTempSubdirectory("kiln-node-a-").FullName;
    private readonly string _dirB = Directory.CreateTempSubdirectory("kiln-node-b-").FullName;
    private KilnProcess _a = null!, _b = null!;
    private DemoCredential _demo = null!;

    public async Task InitializeAsync()
    {
        var database = TestDatabase.CreatePostgres(_dirA);
        var env = new Dictionary<string, string> { ["Kiln__Ims__BruteForce__MaxFailuresPerClient"] = "4" };
        _a = await KilnProcess.StartAsync(_dirA, env: env, database: database);
        _b = await KilnProcess.StartAsync(_dirB, env: env, database: database);
        _demo = (await Bootstrap.ReadFileAsync(_dirA, default))!;
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        TestDatabase.Drop(_dirA);
        Directory.Delete(_dirA, true);
        Directory.Delete(_dirB, true);
    }

    private string SecretsUrl => $"/console/organizations/{_demo.OrgId}/credentials/{_demo.CredentialId}/secrets";

    private static HttpClient Node(KilnProcess p) => new() { BaseAddress = new Uri(p.BaseUrl) };

    private static async Task<string> TokenAsync(KilnProcess node, string clientId, string secret)
    {
        var res = await Node(node).PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret));
        return (await HttpAssert.JsonAsync(res, 200)).GetProperty("access_token").GetString()!;
    }

    private HttpClient Authed(KilnProcess node, string token)
    {
        var c = Node(node);
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        c.DefaultRequestHeaders.Add("x-api-key", _demo.ClientId);
        return c;
    }

    [Fact]
    public async Task Second_node_does_not_bootstrap_again()
    {
        Assert.False(File.Exists(Path.Combine(_dirB, Bootstrap.FileName)));
        var orgs = await Authed(_b, await TokenAsync(_a, _demo.ClientId, _demo.ClientSecret)).GetStringAsync("/ims/organizations/v6");
        Assert.Single(JsonDocument.Parse(orgs).RootElement.EnumerateArray());
    }

    [Fact]
    public async Task Token_from_A_works_on_B_and_a_secret_deleted_on_A_is_refused_on_B_within_a_second()
    {
        var oldToken = await TokenAsync(_a, _demo.ClientId, _demo.ClientSecret);
        var onB = Authed(_b, oldToken);
        for (var i = 0; i < 3; i++) await HttpAssert.JsonAsync(await onB.GetAsync(SecretsUrl), 200); // B caches it

        var added = await HttpAssert.JsonAsync(await Authed(_a, oldToken).PostEmptyAsync(SecretsUrl), 201);
        var newToken = await TokenAsync(_b, _demo.ClientId, added.GetProperty("client_secret").GetString()!);
        var oldUuid = Jwt.Payload(oldToken).GetProperty("sid").GetString();
        var deleted = Stopwatch.StartNew();
        Assert.Equal(204, (int)(await Authed(_a, newToken).DeleteAsync($"{SecretsUrl}/{oldUuid}")).StatusCode);

        int status;
        do
        {
            status = (int)(await onB.GetAsync(SecretsUrl)).StatusCode;
            if (status == 401) break;
            await Task.Delay(20);
        } while (deleted.Elapsed < TimeSpan.FromSeconds(3));
        Assert.Equal(401, status);
        Assert.True(deleted.Elapsed < TimeSpan.FromSeconds(1), $"revocation took {deleted.ElapsedMilliseconds} ms to reach node B");
        await HttpAssert.JsonAsync(await Authed(_b, newToken).GetAsync(SecretsUrl), 200);
    }

    [Fact]
    public async Task Invalidated_token_on_A_is_refused_on_B()
    {
        var token = await TokenAsync(_a, _demo.ClientId, _demo.ClientSecret);
        await HttpAssert.JsonAsync(await Authed(_b, token).GetAsync(SecretsUrl), 200);
        Assert.Equal(200, (int)(await Node(_a).PostFormAsync("/ims/invalidate_token/v2", ("token", token))).StatusCode);
        var sw = Stopwatch.StartNew();
        int status;
        do { status = (int)(await Authed(_b, token).GetAsync(SecretsUrl)).StatusCode; } while (status != 401 && sw.Elapsed < TimeSpan.FromSeconds(2));
        Assert.Equal(401, status);
    }

    [Fact]
    public async Task Failed_attempts_count_across_nodes()
    {
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(400, (int)(await Node(_a).PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", _demo.ClientId), ("client_secret", "bad"))).StatusCode);
            Assert.Equal(400, (int)(await Node(_b).PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", _demo.ClientId), ("client_secret", "bad"))).StatusCode);
        }
        // Four failures in all, two per node: both nodes now throttle the client.
        var sw = Stopwatch.StartNew();
        int status;
        do
        {
            status = (int)(await Node(_a).PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", _demo.ClientId), ("client_secret", "bad"))).StatusCode;
            if (status == 429) break;
            await Task.Delay(50);
        } while (sw.Elapsed < TimeSpan.FromSeconds(2));
        Assert.Equal(429, status);
    }
}
