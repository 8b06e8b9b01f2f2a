using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Kiln.TestSupport;

namespace Kiln.Server.Tests.Faults;

/// <summary>
/// The data dir (SQLite file and local blob storage; on the PostgreSQL pass only the blobs) sits on a small tmpfs
/// that the test fills to ENOSPC. Writes answer 503 + Retry-After in the gateway shape, reads keep working, the host
/// stays up, and once space is freed writes succeed again and a job accepted before the fault completes.
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly Tmpfs _disk = Tmpfs.Mount(64);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        TestDatabase.Drop(_disk.Dir);
        _disk.Dispose();
    }

    [Fact]
    public async Task Full_data_disk_answers_503_for_writes_keeps_reads_and_recovers_when_space_is_freed()
    {
        var env = new Dictionary<string, string> { [SlowGenerator.DelayVariable] = "1500", ["Kiln__Firefly__JobLease"] = "00:00:05" };
        await using var node = await KilnProcess.StartAsync(_disk.Dir, env: env); // local blob storage in both passes
        var demo = await ScaleOut.NodeKit.DemoAsync(_disk.Dir);
        using var anon = Outage.Http(node);
        using var http = await Outage.AuthedAsync(node, anon, demo);
        var secrets = $"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets";
        string imageUrl;
        using (var res = await http.PostAsync("/v3/images/generate", Outage.Generate(1)))
            imageUrl = (await HttpAssert.JsonAsync(res, 200)).GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
        string earlierJob;
        using (var res = await http.PostAsync("/v3/images/generate-async", Outage.Generate(2)))
            earlierJob = new Uri((await HttpAssert.JsonAsync(res, 202)).GetProperty("statusUrl").GetString()!).PathAndQuery;
        await Firefly.FireflyKit.PollAsync(http, earlierJob, seconds: 120);

        var sqlite = !TestDatabase.IsPostgres;
        if (sqlite)
        {
            // Empty the WAL first: otherwise SQLite rewrites frames it already owns and a small write needs no new space.
            await using var c = new SqliteConnection($"Data Source={Path.Combine(_disk.Dir, "kiln.db")};Pooling=False");
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await cmd.ExecuteNonQueryAsync();
        }
        string pendingJob;
        using (var res = await http.PostAsync("/v3/images/generate-async", Outage.Generate(3))) // accepted just before the disk fills
            pendingJob = new Uri((await HttpAssert.JsonAsync(res, 202)).GetProperty("statusUrl").GetString()!).PathAndQuery;
        _disk.Fill();

        // Writes: an image needs blob space; on SQLite a secret and a job row need database space.
        using (var res = await http.PostAsync("/v3/images/generate", Outage.Generate(4))) await Outage.GatewayAsync(res, "sync generate");
        if (sqlite)
        {
            using (var res = await http.PostAsync(secrets, null)) await Outage.GatewayAsync(res, "add a secret");
            using (var res = await http.PostAsync("/v3/images/generate-async", Outage.Generate(5))) await Outage.GatewayAsync(res, "submit a job");
        }
        // Reads still work: minting (usage is written later, in the background), listing, status, downloading.
        using (var res = await Outage.TokenAsync(anon, demo.ClientId, demo.ClientSecret)) await HttpAssert.JsonAsync(res, 200);
        using (var res = await http.GetAsync(secrets)) await HttpAssert.JsonAsync(res, 200);
        using (var res = await http.GetAsync(earlierJob)) Assert.Equal("succeeded", (await HttpAssert.JsonAsync(res, 200)).GetProperty("status").GetString());
        using (var res = await anon.GetAsync(imageUrl)) Assert.Equal(200, (int)res.StatusCode);
        using (var res = await anon.GetAsync("/health/live")) Assert.Equal(200, (int)res.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(3)); // the pending job meets the full disk
        Assert.False(node.HasExited, "Kiln exited on a full disk:\n" + node.Output);

        _disk.Free();

        (await Outage.UntilAsync(() => http.PostAsync(secrets, null), 201, "add a secret")).Dispose();
        using (var res = await Outage.UntilAsync(() => http.PostAsync("/v3/images/generate", Outage.Generate(6)), 200, "sync generate"))
        {
            var url = JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
            using var image = await anon.GetAsync(url);
            Assert.Equal(200, (int)image.StatusCode);
        }
        // The job accepted before the disk filled was handed back, not failed, and completes now.
        var done = await Firefly.FireflyKit.PollAsync(http, pendingJob, seconds: 120);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.False(node.HasExited);
        Assert.DoesNotContain("BackgroundService failed", node.Output, StringComparison.Ordinal);
    }
}
