using Kiln.Server.Tests.Infrastructure;
using Npgsql;
using Kiln.TestSupport;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>kill -9 of the node running 20 async jobs: the survivor finishes every one of them, and no output is produced twice.</summary>
public sealed class NodeDeathTests() : TwoNodeTests("death")
{

    private Task<KilnProcess> StartAsync(string dir) =>
        StartNodeAsync(dir, (SlowGenerator.DelayVariable, "1200"), ("Kiln__Firefly__Workers", "4"), ("Kiln__Firefly__JobLease", "00:00:03"),
            ("Kiln__Firefly__JobPollInterval", "00:00:00.250"));

    [Fact]
    public async Task Every_job_succeeds_on_the_surviving_node_with_each_output_written_once()
    {
        var a = await StartAsync(DirA);
        var demo = await NodeKit.DemoAsync(DirA);
        var token = await NodeKit.TokenAsync(a, demo.ClientId, demo.ClientSecret, KilnFactory.FireflyScopes);
        var onA = NodeKit.Authed(a, token, demo.ClientId);
        var jobs = new List<(string Id, string Status)>();
        for (var i = 0; i < 20; i++)
        {
            var (id, status, _) = await NodeKit.SubmitAsync(onA, seed: 100 + i);
            jobs.Add((id, status));
        }

        // Mid-way: some jobs done, four running on A, the rest pending. Then A dies without any shutdown.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        int succeeded;
        do
        {
            await Task.Delay(100);
            succeeded = 0;
            foreach (var j in jobs)
                if ((await NodeKit.StatusAsync(onA, j.Status)).GetProperty("status").GetString() == "succeeded") succeeded++;
        } while (succeeded < 4 && DateTime.UtcNow < deadline);
        Assert.InRange(succeeded, 4, 15);
        var running = await CountAsync("SELECT count(*) FROM \"Jobs\" WHERE \"Status\" = 'running'");
        a.Kill();
        Assert.True(running > 0, "no job was running when node A was killed");

        var b = await StartAsync(DirB);
        var onB = NodeKit.Authed(b, token, demo.ClientId);
        var outputs = new List<string>();
        foreach (var j in jobs)
        {
            var done = await Firefly.FireflyKit.PollAsync(onB, j.Status, seconds: 40);
            Assert.Equal("succeeded", done.GetProperty("status").GetString());
            var list = done.GetProperty("result").GetProperty("outputs");
            Assert.Equal(1, list.GetArrayLength());
            outputs.Add(new Uri(list[0].GetProperty("image").GetProperty("url").GetString()!).AbsolutePath);
        }

        // One output object per job in the bucket, each the one its job's result names; one output row per job.
        var keys = await NodeKit.ListBucketAsync(Bucket, "outputs/");
        Assert.Equal(20, keys.Count);
        Assert.Equal(20, outputs.Distinct().Count());
        Assert.All(outputs, path => Assert.Contains(keys, k => path.EndsWith("/" + k, StringComparison.Ordinal)));
        Assert.Equal(20, await CountAsync("SELECT count(*) FROM \"StoredBlobs\" WHERE \"Kind\" = 'output'"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM \"Jobs\" WHERE \"Status\" <> 'succeeded'"));
        Assert.True(await CountAsync("SELECT count(*) FROM \"Jobs\" WHERE \"Attempts\" > 1") >= running, "the jobs A was running were run again");
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(Database);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
