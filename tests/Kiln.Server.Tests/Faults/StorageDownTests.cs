using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Tests.ScaleOut;

namespace Kiln.Server.Tests.Faults;

/// <summary>
/// The S3 endpoint (a private s3rver) goes away under a running Kiln: image requests answer 503 + Retry-After in the
/// gateway shape, Console and token requests keep working, a job accepted meanwhile is handed back rather than failed,
/// and everything completes once the endpoint is back. Runs on the suite's database in both CI passes.
/// </summary>
public sealed class StorageDownTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-s3down-node-").FullName;
    private S3Server? _s3;

    public void Dispose()
    {
        _s3?.Dispose();
        TestDatabase.Drop(_dir);
        Directory.Delete(_dir, true);
    }

    [Fact]
    public async Task S3_outage_answers_503_for_images_and_kiln_recovers_when_it_returns()
    {
        _s3 = await S3Server.StartAsync();
        var env = NodeKit.S3Env(_s3.NewBucket());
        env["Kiln__Metrics__AllowedNetworks"] = "127.0.0.1/32";
        var metricsUrl = $"http://127.0.0.1:{KilnProcess.FreePort()}";
        await using var node = await KilnProcess.StartAsync(_dir, env: env, extraArgs: ["--metrics-urls", metricsUrl]);
        using var metrics = new HttpClient { BaseAddress = new Uri(metricsUrl) };
        var demo = await NodeKit.DemoAsync(_dir);
        using var anon = Outage.Http(node);
        using var http = await Outage.AuthedAsync(node, anon, demo);
        using (var res = await http.PostAsync("/v3/images/generate", Outage.Generate(1))) await HttpAssert.JsonAsync(res, 200);

        _s3.Down();

        using (var res = await http.PostAsync("/v3/images/generate", Outage.Generate(2))) await Outage.GatewayAsync(res, "sync generate with S3 down");
        string statusPath;
        using (var res = await http.PostAsync("/v3/images/generate-async", Outage.Generate(3)))
            statusPath = new Uri((await HttpAssert.JsonAsync(res, 202)).GetProperty("statusUrl").GetString()!).PathAndQuery;
        using (var res = await http.GetAsync($"/console/organizations/{demo.OrgId}/credentials/{demo.CredentialId}/secrets")) await HttpAssert.JsonAsync(res, 200);
        using (var res = await Outage.TokenAsync(anon, demo.ClientId, demo.ClientSecret)) await HttpAssert.JsonAsync(res, 200);
        using (var res = await anon.GetAsync("/health/ready")) Assert.Equal(503, (int)res.StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(2)); // the job meets the outage
        using (var res = await http.GetAsync(statusPath))
            Assert.NotEqual("failed", (await HttpAssert.JsonAsync(res, 200)).GetProperty("status").GetString());
        Assert.False(node.HasExited, "Kiln exited while S3 was down:\n" + node.Output);
        // docs/operations.md#metrics: the failed blob calls, the 503s answered for the outage, and the outage state.
        var scrape = await metrics.GetStringAsync("/metrics");
        Assert.True(Sample(scrape, "kiln_blob_errors_total") >= 1, "no blob error counted:\n" + scrape);
        Assert.True(Sample(scrape, "kiln_outages_total") >= 1, "no outage response counted:\n" + scrape);
        Assert.Equal(1, Sample(scrape, "kiln_outage_active"));

        await _s3.UpAsync();

        (await Outage.UntilAsync(() => http.PostAsync("/v3/images/generate", Outage.Generate(4)), 200, "sync generate")).Dispose();
        var done = await Firefly.FireflyKit.PollAsync(http, statusPath, seconds: 120);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
    }

    /// <summary>
    /// The sum of a metric's samples (every label set) in Prometheus's text format, 0 when it has none: each line is
    /// the name, its labels in braces, the value and an optional timestamp.
    /// </summary>
    private static double Sample(string scrape, string name) => scrape.Split('\n')
        .Where(l => l.StartsWith(name + " ", StringComparison.Ordinal) || l.StartsWith(name + "{", StringComparison.Ordinal))
        .Select(l => l[(l.StartsWith(name + "{", StringComparison.Ordinal) ? l.LastIndexOf('}') + 1 : name.Length)..].Trim().Split(' ')[0])
        .Sum(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture));
}
