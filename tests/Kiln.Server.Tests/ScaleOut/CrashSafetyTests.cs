using System.Collections.Concurrent;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>
/// kill -9 during a burst of secret adds and deletes: after a restart every secret answered with 201 (and not
/// deleted) still mints tokens, and every secret answered with 204 stays dead. On PostgreSQL and on the suite's database.
/// </summary>
public sealed class CrashSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-crash-").FullName;
    private string? _pgKey;

    public void Dispose()
    {
        if (_pgKey is not null) TestDatabase.Drop(_pgKey);
        else TestDatabase.Drop(_dir);
        Directory.Delete(_dir, true);
    }

    [Fact]
    public Task Secrets_survive_kill_9_on_postgres() => RunAsync(TestDatabase.CreatePostgres(_pgKey = _dir + "-pg"));

    [Fact]
    public Task Secrets_survive_kill_9_on_the_suite_database() => RunAsync(database: null);

    private static readonly Dictionary<string, string> Env = new()
    {
        ["Kiln__Ims__MaxSecretsPerCredential"] = "5",
        ["Kiln__Ims__BruteForce__MaxFailuresPerClient"] = "100000",
        ["Kiln__Ims__BruteForce__MaxFailuresPerAddress"] = "100000",
    };

    private async Task RunAsync(string? database)
    {
        var node = await KilnProcess.StartAsync(_dir, env: Env, database: database);
        var demo = await NodeKit.DemoAsync(_dir);
        var token = await NodeKit.TokenAsync(node, demo.ClientId, demo.ClientSecret);
        var url = $"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets";
        var alive = new ConcurrentDictionary<string, string>(); // uuid -> secret: 201 and no 204 yet
        var dead = new ConcurrentDictionary<string, string>();  // uuid -> secret: 204
        using var stop = new CancellationTokenSource();
        var kept = 0;

        async Task Worker()
        {
            using var http = NodeKit.Authed(node, token, demo.ClientId);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var added = await http.PostAsync(url, null);
                    if ((int)added.StatusCode != 201) continue;
                    var json = System.Text.Json.JsonDocument.Parse(await added.Content.ReadAsStringAsync()).RootElement;
                    var (uuid, secret) = (json.GetProperty("uuid").GetString()!, json.GetProperty("client_secret").GetString()!);
                    if (Interlocked.Increment(ref kept) <= 2) // keep two (at most 5 per credential); delete the rest
                    {
                        alive[uuid] = secret;
                        continue;
                    }
                    // While the delete is in flight the secret is in neither set: a kill now leaves its fate unknown.
                    using var deleted = await http.DeleteAsync($"{url}/{uuid}");
                    if ((int)deleted.StatusCode == 204) dead[uuid] = secret;
                    else alive[uuid] = secret;
                }
                catch (HttpRequestException) { return; } // the node is gone
                catch (TaskCanceledException) { return; }
            }
        }

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(Worker)).ToList();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (dead.Count < 10 && DateTime.UtcNow < deadline) await Task.Delay(20);
        node.Kill(); // mid-burst: requests are in flight
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Assert.True(dead.Count >= 10, $"only {dead.Count} deletes happened before the kill");

        await using var restarted = await KilnProcess.StartAsync(_dir, env: Env, database: database);
        Assert.NotEmpty(alive);
        foreach (var (uuid, secret) in alive)
        {
            using var res = await NodeKit.TokenResponseAsync(restarted, demo.ClientId, secret);
            Assert.True((int)res.StatusCode == 200, $"secret {uuid} was created with 201 but no longer mints: {(int)res.StatusCode}");
        }
        foreach (var (_, secret) in dead)
        {
            using var res = await NodeKit.TokenResponseAsync(restarted, demo.ClientId, secret);
            var body = await HttpAssert.JsonAsync(res, 400);
            Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        }
        await node.DisposeAsync();
    }
}
