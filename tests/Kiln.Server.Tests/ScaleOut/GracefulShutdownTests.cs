using System.Diagnostics;
using System.Globalization;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>SIGTERM: in-flight sync requests finish, and running async jobs go back to the queue for another node at once.</summary>
public sealed class GracefulShutdownTests : IAsyncLifetime
{
    private readonly string _dirA = Directory.CreateTempSubdirectory("kiln-term-a-").FullName;
    private readonly string _dirB = Directory.CreateTempSubdirectory("kiln-term-b-").FullName;
    private readonly string _bucket = TestStorage.NewBucket();
    private readonly List<KilnProcess> _nodes = [];
    private string _database = null!;

    public Task InitializeAsync()
    {
        _database = TestDatabase.CreatePostgres(_dirA);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes) await n.DisposeAsync();
        TestDatabase.Drop(_dirA);
        Directory.Delete(_dirA, true);
        Directory.Delete(_dirB, true);
    }

    private async Task<KilnProcess> StartAsync(string dir, int delayMs)
    {
        // The default 60 s lease: within this test only a hand-back, not an expired lease, lets B run A's job.
        var node = await KilnProcess.StartAsync(dir, database: _database,
            env: NodeKit.S3Env(_bucket, ("Kiln__Firefly__TestDelayMs", delayMs.ToString(CultureInfo.InvariantCulture))));
        _nodes.Add(node);
        return node;
    }

    [Fact]
    public async Task Sigterm_hands_a_running_job_to_the_other_node_at_once()
    {
        var a = await StartAsync(_dirA, 120_000);
        var demo = await NodeKit.DemoAsync(_dirA);
        var token = await NodeKit.TokenAsync(a, demo.ClientId, demo.ClientSecret, KilnFactory.FireflyScopes);
        var (_, statusPath, _) = await NodeKit.SubmitAsync(NodeKit.Authed(a, token, demo.ClientId), seed: 3);
        await FireflyKit.PollAsync(NodeKit.Authed(a, token, demo.ClientId), statusPath, j => j.GetProperty("status").GetString() == "running", seconds: 20);
        var b = await StartAsync(_dirB, 0);
        var onB = NodeKit.Authed(b, token, demo.ClientId);
        Assert.Equal("running", (await NodeKit.StatusAsync(onB, statusPath)).GetProperty("status").GetString());

        var sw = Stopwatch.StartNew();
        await a.StopAsync();
        var done = await FireflyKit.PollAsync(onB, statusPath, seconds: 15);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15), $"hand-back took {sw.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Sigterm_lets_an_in_flight_sync_request_finish()
    {
        var a = await StartAsync(_dirA, 3000);
        var demo = await NodeKit.DemoAsync(_dirA);
        var token = await NodeKit.TokenAsync(a, demo.ClientId, demo.ClientSecret, KilnFactory.FireflyScopes);
        using var http = NodeKit.Authed(a, token, demo.ClientId);
        var request = http.PostRawAsync("/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024},"seeds":[5]}""");
        await Task.Delay(1000); // the request is rendering (sleeping in the pool)
        var stopping = a.StopAsync();
        using var res = await request;
        var json = await HttpAssert.JsonAsync(res, 200);
        Assert.Equal(1, json.GetProperty("outputs").GetArrayLength());
        await stopping;
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("/health/ready"));
    }
}
