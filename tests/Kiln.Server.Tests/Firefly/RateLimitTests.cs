using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Firefly;

/// <summary>Per-org limits (docs/firefly.md#rate-limits): off by default; the adobe preset allows 4 image requests a minute.</summary>
public sealed class RateLimitTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 29, 10, 0, 5, TimeSpan.Zero));
    private readonly KilnFactory _kiln;

    public RateLimitTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    private const string Body = """{"prompt":"x","size":{"width":1024,"height":1024}}""";

    [Fact]
    public async Task Adobe_preset_gives_429_with_retry_after_and_status_polls_do_not_count()
    {
        _kiln.With("Kiln:Firefly:RateLimit:Preset", "adobe").Start();
        using var http = await _kiln.DemoClientAsync();
        string? statusUrl = null;
        for (var i = 0; i < 4; i++)
        {
            using var ok = await http.PostRawAsync(i % 2 == 0 ? "/v3/images/generate" : "/v3/images/generate-async", Body);
            var json = await HttpAssert.JsonAsync(ok, i % 2 == 0 ? 200 : 202);
            if (i == 1) statusUrl = json.GetProperty("statusUrl").GetString();
        }
        using var limited = await http.PostRawAsync("/v3/images/generate", Body);
        var err = await HttpAssert.JsonAsync(limited, 429);
        Assert.Equal("rate_limited", err.GetProperty("error_code").GetString());
        Assert.Equal(55, int.Parse(limited.Headers.GetValues("retry-after").Single(), System.Globalization.CultureInfo.InvariantCulture));

        // Polling is free.
        for (var i = 0; i < 5; i++) await HttpAssert.JsonAsync(await http.GetAsync(statusUrl), 200);

        _clock.Advance(TimeSpan.FromSeconds(56));
        await HttpAssert.JsonAsync(await http.PostRawAsync("/v3/images/generate", Body), 200);
    }

    [Fact]
    public async Task Limits_are_off_by_default()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        for (var i = 0; i < 6; i++)
            await HttpAssert.JsonAsync(await http.PostRawAsync("/v3/images/generate-async", Body), 202);
    }

    [Fact]
    public async Task Full_sync_queue_answers_429_with_retry_after_instead_of_queueing()
    {
        _kiln.With("Kiln:Firefly:Workers", "1").With("Kiln:Firefly:QueueLimit", "1").WithSlowGenerator(3000).Start();
        using var http = await _kiln.DemoClientAsync();
        var first = http.PostRawAsync("/v3/images/generate", Body);
        await Task.Delay(500);
        using var second = await http.PostRawAsync("/v3/images/generate", Body);
        var err = await HttpAssert.JsonAsync(second, 429);
        Assert.Equal("rate_limited", err.GetProperty("error_code").GetString());
        Assert.True(second.Headers.Contains("retry-after"));
        using var firstRes = await first;
        await HttpAssert.JsonAsync(firstRes, 200);
    }
}
