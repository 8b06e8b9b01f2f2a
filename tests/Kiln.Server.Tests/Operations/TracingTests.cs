using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Kiln.Server.Hosting.Telemetry;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Kiln.Server.Tests.Operations;

/// <summary>
/// docs/operations.md#traces: with Kiln's tracing (TelemetrySetup.Tracing) and an in-process exporter, a token request
/// and a generate give the documented span tree and attributes, the x-request-id is the trace id, and no span
/// attribute or log line carries the secret or the token.
/// </summary>
public sealed class TracingTests : IDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly KilnFactory _kiln;

    public TracingTests()
    {
        _kiln = new KilnFactory().WithServices(s => s.AddOpenTelemetry().WithTracing(t => TelemetrySetup.Tracing(t).AddInMemoryExporter(new SpanSink(_spans))));
    }

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Token_and_generate_give_the_span_tree_with_ids_and_no_secret()
    {
        var demo = _kiln.Start();
        using var http = _kiln.Http();

        using var tokenRes = await http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = demo.ClientId, ["client_secret"] = demo.ClientSecret, ["scope"] = KilnFactory.FireflyScopes,
        }));
        var tokenJson = await HttpAssert.JsonAsync(tokenRes, 200);
        var token = tokenJson.GetProperty("access_token").GetString()!;
        var tokenTrace = tokenRes.Headers.GetValues("x-request-id").Single();
        Assert.Matches("^[0-9a-f]{32}$", tokenTrace);
        Assert.StartsWith($"00-{tokenTrace}-", tokenRes.Headers.GetValues("traceresponse").Single(), StringComparison.Ordinal);

        using var req = new HttpRequestMessage(HttpMethod.Post, "/v3/images/generate")
        {
            Content = new StringContent("""{"prompt":"a cat coding","size":{"width":1024,"height":1024}}""", Encoding.UTF8, "application/json"),
        };
        req.Headers.Add("x-api-key", demo.ClientId);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var genRes = await http.SendAsync(req);
        await HttpAssert.JsonAsync(genRes, 200);
        var genTrace = genRes.Headers.GetValues("x-request-id").Single();

        // The token request: ASP.NET Core's server span, Kiln's token span under it with the client and org ids.
        var tokenSpans = await SpansOfAsync(tokenTrace, "kiln.ims.token");
        var tokenServer = Assert.Single(tokenSpans, s => s.Kind == ActivityKind.Server);
        var mint = Assert.Single(tokenSpans, s => s.OperationName == "kiln.ims.token");
        Assert.Equal(tokenServer.SpanId, mint.ParentSpanId);
        Assert.Equal(demo.ClientId, mint.GetTagItem("kiln.client_id"));
        Assert.Equal(demo.OrgId, Convert.ToString(mint.GetTagItem("kiln.org_id"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("issued", mint.GetTagItem("kiln.outcome"));

        // The generate: server span (with the caller's ids) -> gate, render -> blob put.
        var genSpans = await SpansOfAsync(genTrace, "kiln.blob.put");
        var server = Assert.Single(genSpans, s => s.Kind == ActivityKind.Server);
        Assert.Equal(demo.ClientId, server.GetTagItem("kiln.client_id"));
        var gate = Assert.Single(genSpans, s => s.OperationName == "kiln.ims.gate");
        Assert.Equal(server.SpanId, gate.ParentSpanId);
        Assert.Equal(demo.ClientId, gate.GetTagItem("kiln.client_id"));
        var render = Assert.Single(genSpans, s => s.OperationName == "kiln.images.render");
        Assert.Equal(server.SpanId, render.ParentSpanId);
        Assert.Equal("generate", render.GetTagItem("kiln.operation"));
        Assert.Equal("procedural", render.GetTagItem("kiln.engine"));
        Assert.Equal(demo.OrgId, Convert.ToString(render.GetTagItem("kiln.org_id"), System.Globalization.CultureInfo.InvariantCulture));
        var put = Assert.Single(genSpans, s => s.OperationName == "kiln.blob.put");
        Assert.Equal(render.SpanId, put.ParentSpanId);
        Assert.StartsWith("outputs/", (string)put.GetTagItem("kiln.blob.key")!, StringComparison.Ordinal);
        if (TestStorage.IsS3)
        {
            // The S3 SDK's call is traced (HttpClient instrumentation) under the blob put: a PUT to the bucket's endpoint.
            var s3 = await WaitForAsync(() => _spans.FirstOrDefault(s => s.ParentSpanId == put.SpanId && s.Kind == ActivityKind.Client));
            Assert.Equal("PUT", s3.GetTagItem("http.request.method"));
            Assert.Equal(new Uri(TestStorage.Endpoint).Port, Convert.ToInt32(s3.GetTagItem("server.port"), System.Globalization.CultureInfo.InvariantCulture));
        }

        // No secret and no token anywhere: every attribute of every span recorded, and every log line.
        foreach (var span in _spans)
            foreach (var (key, value) in span.EnumerateTagObjects())
            {
                var text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
                Assert.False(text.Contains(demo.ClientSecret, StringComparison.Ordinal) || text.Contains(token, StringComparison.Ordinal)
                    || text.Contains("kiln_s2s_", StringComparison.Ordinal) || text.Contains(token[..40], StringComparison.Ordinal),
                    $"span {span.OperationName} attribute {key} carries a secret or token");
            }
        foreach (var line in _kiln.Logs.Lines)
            Assert.False(line.Contains(demo.ClientSecret, StringComparison.Ordinal) || line.Contains(token[..40], StringComparison.Ordinal), "log line with a secret: " + line);
    }

    [Fact]
    public async Task An_async_job_is_claimed_and_run_in_spans_with_its_ids()
    {
        var demo = _kiln.Start();
        using var http = await _kiln.DemoClientAsync(KilnFactory.FireflyScopes);
        using var res = await http.PostRawAsync("/v3/images/generate-async", """{"prompt":"a fox","size":{"width":1024,"height":1024}}""");
        var accepted = await HttpAssert.JsonAsync(res, 202);
        var jobId = accepted.GetProperty("jobId").GetString()!;
        await FireflyKit.PollAsync(http, accepted.GetProperty("statusUrl").GetString()!, j => j.GetProperty("status").GetString() == "succeeded");

        var run = await WaitForAsync(() => _spans.FirstOrDefault(s => s.OperationName == "kiln.jobs.run" && (string?)s.GetTagItem("kiln.job_id") == jobId));
        var claim = Assert.Single(_spans, s => s.OperationName == "kiln.jobs.claim" && (string?)s.GetTagItem("kiln.job_id") == jobId);
        Assert.Equal(claim.SpanId, run.ParentSpanId);
        Assert.Equal(demo.ClientId, run.GetTagItem("kiln.client_id"));
        Assert.Equal(demo.OrgId, Convert.ToString(run.GetTagItem("kiln.org_id"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("generate", run.GetTagItem("kiln.operation"));
        var render = await WaitForAsync(() => _spans.FirstOrDefault(s => s.OperationName == "kiln.images.render" && s.ParentSpanId == run.SpanId));
        Assert.Equal("procedural", render.GetTagItem("kiln.engine"));
        // Polls that found no job are not exported.
        Assert.All(_spans.Where(s => s.OperationName == "kiln.jobs.claim"), s => Assert.NotNull(s.GetTagItem("kiln.job_id")));
    }

    [Fact]
    public async Task A_job_links_its_claim_and_run_to_the_submitting_request_and_logs_under_its_run()
    {
        _kiln.With("Logging:LogLevel:Default", "Debug");
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync(KilnFactory.FireflyScopes);
        using var res = await http.PostRawAsync("/v3/images/generate-async", """{"prompt":"a heron","size":{"width":1024,"height":1024}}""");
        var accepted = await HttpAssert.JsonAsync(res, 202);
        var submitTrace = res.Headers.GetValues("x-request-id").Single();
        var jobId = accepted.GetProperty("jobId").GetString()!;
        await FireflyKit.PollAsync(http, accepted.GetProperty("statusUrl").GetString()!, j => j.GetProperty("status").GetString() == "succeeded");

        // The submit's server span, the one the job's spans link to (the job row keeps its traceparent).
        var submit = (await SpansOfAsync(submitTrace, "kiln.ims.gate")).Single(s => s.Kind == ActivityKind.Server);
        var run = await WaitForAsync(() => _spans.FirstOrDefault(s => s.OperationName == "kiln.jobs.run" && (string?)s.GetTagItem("kiln.job_id") == jobId));
        var claim = Assert.Single(_spans, s => s.OperationName == "kiln.jobs.claim" && (string?)s.GetTagItem("kiln.job_id") == jobId);
        foreach (var span in new[] { claim, run })
        {
            var link = Assert.Single(span.Links);
            Assert.Equal(submitTrace, link.Context.TraceId.ToHexString());
            Assert.Equal(submit.SpanId, link.Context.SpanId);
        }
        Assert.NotEqual(submitTrace, run.TraceId.ToHexString()); // its own trace: a job outlives the request
        Assert.Equal(claim.SpanId, run.ParentSpanId);

        // The job's log lines carry the run's trace id (and name the submit's trace).
        var started = Assert.Single(_kiln.Logs.Lines, l => l.Contains($"Job {jobId} started", StringComparison.Ordinal));
        Assert.Contains($"submitted in trace {submitTrace}", started, StringComparison.Ordinal);
        Assert.Contains($"TraceId:{run.TraceId.ToHexString()}", started, StringComparison.Ordinal);
        Assert.Contains($"SpanId:{run.SpanId.ToHexString()}", started, StringComparison.Ordinal);
    }

    /// <summary>The spans of one trace, once the one named <paramref name="last"/> has ended (spans export as they end).</summary>
    private async Task<List<Activity>> SpansOfAsync(string traceId, string last)
    {
        await WaitForAsync(() => _spans.FirstOrDefault(s => s.TraceId.ToHexString() == traceId && s.OperationName == last));
        await WaitForAsync(() => _spans.FirstOrDefault(s => s.TraceId.ToHexString() == traceId && s.Kind == ActivityKind.Server));
        return _spans.Where(s => s.TraceId.ToHexString() == traceId).ToList();
    }

    private static async Task<Activity> WaitForAsync(Func<Activity?> find)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (find() is { } a) return a;
            Assert.True(DateTime.UtcNow < deadline, "span not exported in time");
            await Task.Delay(50);
        }
    }

    /// <summary>The in-memory exporter's target: a thread-safe collection (spans end on many threads).</summary>
    private sealed class SpanSink(ConcurrentQueue<Activity> queue) : ICollection<Activity>
    {
        public int Count => queue.Count;
        public bool IsReadOnly => false;
        public void Add(Activity item) => queue.Enqueue(item);
        public void Clear() => queue.Clear();
        public bool Contains(Activity item) => queue.Contains(item);
        public void CopyTo(Activity[] array, int arrayIndex) => queue.CopyTo(array, arrayIndex);
        public bool Remove(Activity item) => throw new NotSupportedException();
        public IEnumerator<Activity> GetEnumerator() => queue.GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
