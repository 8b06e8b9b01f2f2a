using System.Diagnostics.Metrics;
using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Upstream;

/// <summary>
/// Through Kiln A to Kiln B (docs/upstream.md): an upstream 429 met by a job is counted in usage like a sync one; every
/// upstream call is measured by profile (docs/operations.md#metrics); an async 422 keeps its validation_errors; every
/// request field Kiln accepts reaches B; an inverted mask stays inverted.
/// </summary>
public sealed class GatewayAccountingTests
{
    private static readonly byte[] Photo = FireflyKit.Image(1024, 1024);

    [Fact]
    public async Task An_upstream_429_met_by_a_job_is_counted_in_usage_apart_from_quota_refusals()
    {
        // B allows A's credential one image request a day; a job that meets B's 429 gives up at once (no retry).
        await using var pair = await UpstreamPair.StartAsync(new() { ["Kiln__Firefly__RateLimit__PerDay"] = "1" },
            configureA: a => a.With("Kiln:Upstream:JobRetryLimit", "0"));
        await pair.Firefly.GenerateOkAsync("/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024}}""");

        using var res = await pair.Firefly.PostRawAsync("/v3/images/generate-async", """{"prompt":"y","size":{"width":1024,"height":1024}}""");
        var done = await FireflyKit.PollAsync(pair.Firefly, (await HttpAssert.JsonAsync(res, 202)).GetProperty("statusUrl").GetString()!);
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Contains("rate limiting", done.GetProperty("message").GetString());

        // Counted once, on the job's own credential, and not as a quota refusal of Kiln's.
        var usage = await HttpAssert.JsonAsync(await pair.Admin.GetAsync($"{pair.OrgPath}/usage?credentialId={pair.A.Demo.CredentialId}"), 200);
        Assert.Equal(1, usage.GetProperty("totals").GetProperty("upstream_rate_limited").GetInt64());
        Assert.Equal(0, usage.GetProperty("totals").GetProperty("quota_refusals").GetInt64());
        // The failed job gave its image back: only the sync request is left in usage.
        Assert.Equal(1, usage.GetProperty("totals").GetProperty("images").GetInt64());

        // A sync request meets the same limit: 429 with B's Retry-After and B's x-access-rate-limit-level, counted too.
        using var sync = await pair.Firefly.PostRawAsync("/v3/images/generate", """{"prompt":"z","size":{"width":1024,"height":1024}}""");
        Assert.Equal(429, (int)sync.StatusCode);
        Assert.True(sync.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 without Retry-After");
        Assert.Equal("org", Assert.Single(sync.Headers.GetValues("x-access-rate-limit-level")));
        usage = await HttpAssert.JsonAsync(await pair.Admin.GetAsync($"{pair.OrgPath}/usage?credentialId={pair.A.Demo.CredentialId}"), 200);
        Assert.Equal(2, usage.GetProperty("totals").GetProperty("upstream_rate_limited").GetInt64());
    }

    [Fact]
    public async Task Upstream_calls_errors_and_latency_are_recorded_by_profile()
    {
        await using var pair = await UpstreamPair.StartAsync();
        using var recorded = new Recorder(pair.A.Services.GetRequiredService<KilnMetrics>().Meter);

        await pair.Firefly.GenerateOkAsync("/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024}}""");
        var calls = recorded.Of("kiln.upstream.call.duration");
        // The token mint, the Firefly call and the copy of the output, each with profile "b", its status and a latency.
        foreach (var call in new[] { "token", "firefly", "output" })
            Assert.Contains(calls, m => m.Tag("profile") == "b" && m.Tag("call") == call && m.Tag("status") == "200" && m.Value > 0);
        Assert.Empty(recorded.Of("kiln.upstream.errors"));

        pair.B.Kill();
        using (var down = await pair.Firefly.PostRawAsync("/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024}}"""))
            Assert.Equal(503, (int)down.StatusCode);
        Assert.Contains(recorded.Of("kiln.upstream.errors"), m => m.Tag("profile") == "b" && m.Tag("call") == "firefly" && m.Tag("reason") == "connect" && m.Value == 1);
        Assert.Contains(recorded.Of("kiln.upstream.call.duration"), m => m.Tag("profile") == "b" && m.Tag("call") == "firefly" && m.Tag("status") == "0");
    }

    [Fact]
    public async Task An_async_422_from_the_upstream_reaches_the_client_with_its_validation_errors_unchanged()
    {
        await using var pair = await UpstreamPair.StartAsync();
        var a = pair.Firefly;
        // A small mask passes A's validation and is refused by B's job while rendering: 422 validation_error.
        var small = FireflyKit.Mask(300, 300, new SkiaSharp.SKRectI(10, 10, 200, 200));
        var body = $$$"""{"image":{"source":{"uploadId":"{{{await FireflyKit.UploadAsync(a, Photo)}}}"}},"mask":{"source":{"uploadId":"{{{await FireflyKit.UploadAsync(a, small)}}}"}},"seeds":[9],"size":{"width":1024,"height":1024}}""";
        using var res = await a.PostRawAsync("/v3/images/fill-async", body);
        var accepted = await HttpAssert.JsonAsync(res, 202);
        var failed = await FireflyKit.PollAsync(a, accepted.GetProperty("statusUrl").GetString()!);
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal("validation_error", failed.GetProperty("error_code").GetString());
        Assert.True(failed.TryGetProperty("validation_errors", out var errors), failed.ToString());
        Assert.NotEqual(0, errors.GetArrayLength());

        // Exactly what B's own job says.
        using var b = await pair.BClientAsync();
        var upstream = await pair.A.WithDbAsync((db, _) => db.Jobs.Where(j => j.Id == accepted.GetProperty("jobId").GetString()).Select(j => j.Upstream).SingleAsync());
        var onB = await HttpAssert.JsonAsync(await b.GetAsync($"/v3/status/{JsonDocument.Parse(upstream!).RootElement.GetProperty("JobId").GetString()}"), 200);
        Assert.Equal("failed", onB.GetProperty("status").GetString());
        Assert.Equal(onB.GetProperty("validation_errors").GetRawText(), errors.GetRawText());
        Assert.Equal(onB.GetProperty("message").GetString(), failed.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("image3_custom", """ "visualIntensity":7, """)]
    [InlineData("image4_custom", """ "upsamplerType":"low_creativity", """)]
    public async Task Every_field_Kiln_accepts_reaches_B_unchanged(string model, string extra)
    {
        await using var pair = await UpstreamPair.StartAsync();
        var a = pair.Firefly;
        var style = await FireflyKit.UploadAsync(a, Photo);
        var structure = await FireflyKit.UploadAsync(a, FireflyKit.Image(1024, 1024, a: SkiaSharp.SKColors.Navy, b: SkiaSharp.SKColors.Gold));
        var body = """
            {"prompt":"a lighthouse at dusk","negativePrompt":"fog","seeds":[5,6],"size":{"width":2048,"height":2048},"contentClass":"art",
             EXTRA "customModelId":"urn:aaid:sc:VA6C2:cm-1","promptBiasingLocaleCode":"fr-FR",
             "style":{"presets":["neon","bw"],"strength":40,"imageReference":{"source":{"uploadId":"STYLE"}}},
             "structure":{"strength":30,"imageReference":{"source":{"uploadId":"STRUCTURE"}}}}
            """.Replace("EXTRA", extra, StringComparison.Ordinal).Replace("STYLE", style, StringComparison.Ordinal).Replace("STRUCTURE", structure, StringComparison.Ordinal);
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v3/images/generate-async") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        req.Headers.Add("x-model-version", model);
        using var res = await a.SendAsync(req);
        var accepted = await HttpAssert.JsonAsync(res, 202);
        var done = await FireflyKit.PollAsync(a, accepted.GetProperty("statusUrl").GetString()!);
        Assert.True(done.GetProperty("status").GetString() == "succeeded", done.ToString());

        // B's job stores the request B validated: every field is A's, only the inputs are B's own uploads.
        var row = await pair.A.WithDbAsync((db, _) => db.Jobs.Where(j => j.Id == accepted.GetProperty("jobId").GetString()).Select(j => new { j.Request, j.Upstream }).SingleAsync());
        var bJob = JsonDocument.Parse(row.Upstream!).RootElement.GetProperty("JobId").GetString();
        await using var bDb = UpstreamPair.OpenDb(pair.BDir);
        var theirs = JsonDocument.Parse(await bDb.Jobs.Where(j => j.Id == bJob).Select(j => j.Request).SingleAsync()).RootElement;
        var ours = JsonDocument.Parse(row.Request).RootElement;
        string[] inputs = ["source", "mask", "maskLoc", "styleReference", "structureReference"];
        foreach (var p in ours.EnumerateObject().Where(p => !inputs.Contains(p.Name)))
            Assert.True(theirs.TryGetProperty(p.Name, out var v) && v.GetRawText() == p.Value.GetRawText(), $"{p.Name}: A {p.Value.GetRawText()}, B {theirs}");
        Assert.Equal("urn:aaid:sc:VA6C2:cm-1", theirs.GetProperty("customModelId").GetString());
        Assert.Equal(model, theirs.GetProperty("modelVersion").GetString());
        if (model == "image4_custom") Assert.Equal("low_creativity", theirs.GetProperty("upsamplerType").GetString());
        Assert.NotEqual(JsonValueKind.Null, theirs.GetProperty("styleReference").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, theirs.GetProperty("structureReference").ValueKind);
    }

    [Fact]
    public async Task A_sync_fill_with_an_inverted_mask_renders_on_B_as_it_does_directly()
    {
        await using var pair = await UpstreamPair.StartAsync();
        using var b = await pair.BClientAsync();
        var mask = FireflyKit.Mask(1024, 1024, new SkiaSharp.SKRectI(200, 200, 800, 800));
        static string Body(string image, string mask) =>
            $$$"""{"image":{"source":{"uploadId":"{{{image}}}"}},"mask":{"source":{"uploadId":"{{{mask}}}"},"invert":true},"seeds":[9]}""";
        var viaA = await pair.Firefly.GenerateOkAsync("/v3/images/fill", Body(await FireflyKit.UploadAsync(pair.Firefly, Photo), await FireflyKit.UploadAsync(pair.Firefly, mask)));
        var direct = await b.GenerateOkAsync("/v3/images/fill", Body(await FireflyKit.UploadAsync(b, Photo), await FireflyKit.UploadAsync(b, mask)));
        Assert.Equal(
            await FireflyKit.DownloadAsync(direct.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!),
            await FireflyKit.DownloadAsync(viaA.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!));
    }

    /// <summary>Every measurement of a Kiln's own meter (not another test's Kiln in the same process).</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<Measured> _seen = [];

        public sealed record Measured(string Instrument, double Value, Dictionary<string, string?> Tags)
        {
            public string? Tag(string name) => Tags.GetValueOrDefault(name);
        }

        public Recorder(Meter meter)
        {
            _listener.InstrumentPublished = (i, l) =>
            {
                if (ReferenceEquals(i.Meter, meter) && i.Name.StartsWith("kiln.upstream.", StringComparison.Ordinal)) l.EnableMeasurementEvents(i);
            };
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i.Name, v, tags));
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i.Name, v, tags));
            _listener.Start();
        }

        private void Add(string name, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var d = new Dictionary<string, string?>();
            foreach (var t in tags) d[t.Key] = t.Value?.ToString();
            lock (_seen) _seen.Add(new Measured(name, value, d));
        }

        public List<Measured> Of(string instrument)
        {
            lock (_seen) return _seen.Where(m => m.Instrument == instrument).ToList();
        }

        public void Dispose() => _listener.Dispose();
    }
}
