using System.Diagnostics;
using System.Globalization;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Kiln.TestSupport;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>SIGTERM: in-flight sync requests finish, and running async jobs go back to the queue for another node at once.</summary>
public sealed class GracefulShutdownTests() : TwoNodeTests("term")
{

    // The default 60 s lease: within this test only a hand-back, not an expired lease, lets B run A's job.
    private Task<KilnProcess> StartAsync(string dir, int delayMs) =>
        StartNodeAsync(dir, (SlowGenerator.DelayVariable, delayMs.ToString(CultureInfo.InvariantCulture)));

    [Fact]
    public async Task Sigterm_hands_a_running_job_to_the_other_node_at_once()
    {
        var a = await StartAsync(DirA, 120_000);
        var demo = await NodeKit.DemoAsync(DirA);
        var token = await NodeKit.TokenAsync(a, demo.ClientId, demo.ClientSecret, KilnFactory.FireflyScopes);
        var (_, statusPath, _) = await NodeKit.SubmitAsync(NodeKit.Authed(a, token, demo.ClientId), seed: 3);
        await FireflyKit.PollAsync(NodeKit.Authed(a, token, demo.ClientId), statusPath, j => j.GetProperty("status").GetString() == "running", seconds: 20);
        var b = await StartAsync(DirB, 0);
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
        var a = await StartAsync(DirA, 3000);
        var demo = await NodeKit.DemoAsync(DirA);
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
