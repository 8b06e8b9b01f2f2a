using System.Diagnostics;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Tests.ScaleOut;
using Kiln.TestSupport;

namespace Kiln.Server.Tests.Faults;

/// <summary>
/// PostgreSQL goes away under a running Kiln (its own throwaway cluster, stopped with <c>pg_ctl -m immediate</c>):
/// token, Console and Firefly requests answer 503 + Retry-After in the contract's shape within seconds, the host stays
/// up, and after PostgreSQL restarts everything works again without restarting Kiln, including a job accepted before
/// the outage. Runs in both CI passes (local disk in the first, S3 in the second).
/// </summary>
public sealed class DatabaseDownTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-dbdown-").FullName;
    private readonly PgCluster _pg = PgCluster.Start();

    public void Dispose()
    {
        _pg.Dispose();
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task Postgres_outage_answers_503_with_retry_after_and_kiln_recovers_by_itself()
    {
        var env = new Dictionary<string, string>
        {
            ["Kiln__Firefly__JobLease"] = "00:00:05",     // a job orphaned by the outage is re-queued soon after it ends
            [SlowGenerator.DelayVariable] = "2000",       // keeps the first job in flight when the database stops
            ["Kiln__Ims__UsageFlushInterval"] = "00:00:01", // the background flush meets the outage, then the recovery
        };
        if (TestStorage.IsS3) foreach (var (k, v) in NodeKit.S3Env(TestStorage.NewBucket())) env[k] = v;
        await using var node = await KilnProcess.StartAsync(_dir, env: env, database: _pg.ConnectionString);
        var demo = await NodeKit.DemoAsync(_dir);
        using var anon = Outage.Http(node);
        using var http = await Outage.AuthedAsync(node, anon, demo);
        var secrets = $"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets";
        string statusPath;
        using (var accepted = await http.PostAsync("/v3/images/generate-async", Outage.Generate(7)))
            statusPath = new Uri((await HttpAssert.JsonAsync(accepted, 202)).GetProperty("statusUrl").GetString()!).PathAndQuery;

        await Task.Delay(TimeSpan.FromSeconds(2.5)); // the first usage flush has run: nothing else is waiting to be written
        _pg.Down("immediate");

        // A wrong secret for the cached demo client is refused from memory; its audit record waits for the database.
        bool failureRecorded;
        using (var res = await Outage.TokenAsync(anon, demo.ClientId, "wrong-" + demo.ClientSecret)) failureRecorded = (int)res.StatusCode == 400;
        var sw = Stopwatch.StartNew();
        // A client id Kiln has not cached must be looked up: Kiln cannot tell whether it exists, so 503, not invalid_client.
        using (var res = await Outage.TokenAsync(anon, Guid.NewGuid().ToString("N"), "whatever")) await Outage.OAuthAsync(res, "token for an uncached client");
        using (var res = await http.GetAsync(secrets)) await Outage.GatewayAsync(res, "list secrets");
        using (var res = await http.PostAsync(secrets, null)) await Outage.GatewayAsync(res, "add a secret");
        using (var res = await http.PostAsync("/v3/images/generate-async", Outage.Generate(8))) await Outage.GatewayAsync(res, "submit a job");
        using (var res = await http.GetAsync(statusPath)) await Outage.GatewayAsync(res, "job status");
        using (var res = await http.GetAsync($"/console/organizations/{demo.OrgId}/projects")) await Outage.GatewayAsync(res, "list projects");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(45), $"six requests during the outage took {sw.Elapsed}: something waits on the dead database");
        using (var res = await anon.GetAsync("/health/ready")) Assert.Equal(503, (int)res.StatusCode);
        using (var res = await anon.GetAsync("/health/live")) Assert.Equal(200, (int)res.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(3)); // background services (job heartbeat, change bus, worker) meet the outage
        Assert.False(node.HasExited, "Kiln exited during the database outage:\n" + node.Output);

        _pg.Up();

        (await Outage.UntilAsync(() => anon.GetAsync("/health/ready"), 200, "/health/ready")).Dispose();
        (await Outage.UntilAsync(() => Outage.TokenAsync(anon, demo.ClientId, demo.ClientSecret), 200, "token")).Dispose();
        (await Outage.UntilAsync(() => http.GetAsync(secrets), 200, "list secrets")).Dispose();
        (await Outage.UntilAsync(() => http.PostAsync(secrets, null), 201, "add a secret")).Dispose();
        if (failureRecorded)
        {
            // The flush that failed during the outage kept the failed attempt and writes it now (it used to be dropped).
            using var audit = await Outage.UntilAsync(async () =>
            {
                var res = await http.GetAsync($"/console/organizations/{demo.OrgId}/audit?action=token.failed");
                if ((int)res.StatusCode == 200 && JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement.GetArrayLength() == 0)
                    res.StatusCode = System.Net.HttpStatusCode.NoContent; // not there yet
                return res;
            }, 200, "the audit record of the failed attempt made during the outage");
        }
        // The job accepted before the outage was not lost: it finishes (re-queued once its lease ran out).
        var deadline = DateTime.UtcNow.AddSeconds(120);
        JsonElement status;
        while (true)
        {
            using var res = await Outage.UntilAsync(() => http.GetAsync(statusPath), 200, "job status");
            status = JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement.Clone();
            if (status.GetProperty("status").GetString() is "succeeded" or "failed" or "canceled") break;
            Assert.True(DateTime.UtcNow < deadline, "the job accepted before the outage never finished: " + status);
            await Task.Delay(250);
        }
        Assert.Equal("succeeded", status.GetProperty("status").GetString());
        string newStatus;
        using (var res = await Outage.UntilAsync(() => http.PostAsync("/v3/images/generate-async", Outage.Generate(9)), 202, "submit a job"))
            newStatus = new Uri(JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement.GetProperty("statusUrl").GetString()!).PathAndQuery;
        var done = await Firefly.FireflyKit.PollAsync(http, newStatus, seconds: 120);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.False(node.HasExited);
        Assert.DoesNotContain("BackgroundService failed", node.Output, StringComparison.Ordinal);
    }
}
