using Kiln.Server.Tests.Infrastructure;
using Kiln.TestSupport;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>Firefly per-org rate limits count requests on every node together (PostgreSQL counters).</summary>
public sealed class MultiNodeRateLimitTests : IAsyncLifetime
{
    private readonly string _dirA = Directory.CreateTempSubdirectory("kiln-rate-a-").FullName;
    private readonly string _dirB = Directory.CreateTempSubdirectory("kiln-rate-b-").FullName;
    private readonly string _bucket = TestStorage.NewBucket();
    private KilnProcess _a = null!, _b = null!;

    public async Task InitializeAsync()
    {
        var database = TestDatabase.CreatePostgres(_dirA);
        // Jobs never run here (a long delay): only the submits are counted.
        var env = NodeKit.S3Env(_bucket, ("Kiln__Firefly__RateLimit__PerMinute", "4"), (SlowGenerator.DelayVariable, "600000"));
        _a = await KilnProcess.StartAsync(_dirA, env: env, database: database);
        _b = await KilnProcess.StartAsync(_dirB, env: env, database: database);
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        TestDatabase.Drop(_dirA);
        Directory.Delete(_dirA, true);
        Directory.Delete(_dirB, true);
    }

    [Fact]
    public async Task Four_per_minute_means_four_across_both_nodes()
    {
        var demo = await NodeKit.DemoAsync(_dirA);
        var token = await NodeKit.TokenAsync(_a, demo.ClientId, demo.ClientSecret, KilnFactory.FireflyScopes);
        using var onA = NodeKit.Authed(_a, token, demo.ClientId);
        using var onB = NodeKit.Authed(_b, token, demo.ClientId);
        if (DateTime.UtcNow.Second >= 50) await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second)); // stay in one minute window

        for (var i = 0; i < 2; i++)
        {
            await NodeKit.SubmitAsync(onA, seed: i);
            await NodeKit.SubmitAsync(onB, seed: 10 + i);
        }
        foreach (var node in new[] { onA, onB })
        {
            using var content = new StringContent("""{"prompt":"x"}""", System.Text.Encoding.UTF8, "application/json");
            using var res = await node.PostAsync("/v3/images/generate-async", content);
            var body = await HttpAssert.JsonAsync(res, 429);
            Assert.Equal("rate_limited", body.GetProperty("error_code").GetString());
            Assert.InRange(int.Parse(res.Headers.GetValues("retry-after").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
        }
    }
}
