using System.Diagnostics;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Kiln.TestSupport;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>Two `kiln serve` processes on one PostgreSQL database and one S3 bucket: jobs are visible and cancelable from either.</summary>
public sealed class MultiNodeJobTests() : TwoNodeTests("job")
{

    private Task<KilnProcess> StartAsync(string dir, int delayMs) =>
        StartNodeAsync(dir, (SlowGenerator.DelayVariable, delayMs.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private async Task<(HttpClient A, HttpClient B, KilnProcess NodeA)> ClientsAsync(KilnProcess a, KilnProcess b)
    {
        var demo = await NodeKit.DemoAsync(DirA);
        var token = await NodeKit.TokenAsync(a, demo.ClientId, demo.ClientSecret, KilnFactory.FireflyScopes);
        return (NodeKit.Authed(a, token, demo.ClientId), NodeKit.Authed(b, token, demo.ClientId), a);
    }

    [Fact]
    public async Task Job_submitted_on_A_is_polled_on_B_and_its_output_downloads()
    {
        var a = await StartAsync(DirA, 0);
        var b = await StartAsync(DirB, 0);
        var (onA, onB, _) = await ClientsAsync(a, b);

        var (jobId, statusPath, _) = await NodeKit.SubmitAsync(onA, seed: 7);
        var done = await FireflyKit.PollAsync(onB, statusPath, seconds: 30);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(jobId, done.GetProperty("jobId").GetString());
        var url = done.GetProperty("result").GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
        Assert.StartsWith(TestStorage.Endpoint, url, StringComparison.Ordinal);
        FireflyKit.AssertJpeg(await FireflyKit.DownloadAsync(url), 1024, 1024);
        // The same answer from A.
        Assert.Equal("succeeded", (await NodeKit.StatusAsync(onA, statusPath)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Cancel_on_B_stops_a_job_running_on_A_within_two_seconds()
    {
        var a = await StartAsync(DirA, 60_000);
        var demo = await NodeKit.DemoAsync(DirA);
        var token = await NodeKit.TokenAsync(a, demo.ClientId, demo.ClientSecret, KilnFactory.FireflyScopes);
        var onA = NodeKit.Authed(a, token, demo.ClientId);
        var (jobId, statusPath, cancelPath) = await NodeKit.SubmitAsync(onA, seed: 8);
        await FireflyKit.PollAsync(onA, statusPath, j => j.GetProperty("status").GetString() == "running", seconds: 20);

        var b = await StartAsync(DirB, 60_000); // started after A took the job: the job runs on A
        var onB = NodeKit.Authed(b, token, demo.ClientId);
        var sw = Stopwatch.StartNew();
        using (var res = await onB.PutAsync(cancelPath, null))
            Assert.Equal("canceled", (await HttpAssert.JsonAsync(res, 200)).GetProperty("status").GetString());

        var stopped = $"Job {jobId} stopped on this node";
        while (!a.Output.Contains(stopped, StringComparison.Ordinal) && sw.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(20);
        Assert.Contains(stopped, a.Output, StringComparison.Ordinal);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"the cancel took {sw.ElapsedMilliseconds} ms to reach node A");
        Assert.DoesNotContain(stopped, b.Output, StringComparison.Ordinal);
        Assert.Equal("canceled", (await NodeKit.StatusAsync(onA, statusPath)).GetProperty("status").GetString());
    }
}
