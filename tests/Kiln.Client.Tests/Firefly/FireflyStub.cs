using System.Diagnostics;
using System.Net;
using System.Text;
using Microsoft.Extensions.Options;

namespace Kiln.Client.Tests.Firefly;

/// <summary>
/// A scripted Firefly for the client's protocol handling (status sequences, Retry-After, failures). Each request is
/// answered by the next script step for its path kind; every request is recorded with its time.
/// </summary>
public sealed class FireflyStub : HttpMessageHandler
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly Queue<Func<HttpRequestMessage, HttpResponseMessage>> _status = new();
    private readonly List<(string Method, string Path, TimeSpan At, string? Body, HttpRequestMessage Request)> _requests = [];

    public const string JobId = "urn:ff:jobs:kiln:6c1a8e7a-1b2c-4d5e-8f90-123456789abc";
    public static readonly Uri Base = new("http://firefly.test/");

    public Func<HttpRequestMessage, string?, HttpResponseMessage>? OnPost { get; set; }
    public Func<HttpRequestMessage, HttpResponseMessage>? OnOther { get; set; }
    /// <summary>When the status script runs out, this answers (default: running).</summary>
    public Func<HttpRequestMessage, HttpResponseMessage> StatusDefault { get; set; } = _ => Json(200, $$"""{"jobId":"{{JobId}}","status":"running"}""");

    public IReadOnlyList<(string Method, string Path, TimeSpan At, string? Body, HttpRequestMessage Request)> Requests { get { lock (_requests) return [.. _requests]; } }
    public IReadOnlyList<TimeSpan> StatusPollTimes => [.. Requests.Where(r => r.Path.StartsWith("/v3/status/", StringComparison.Ordinal)).Select(r => r.At)];

    public FireflyStub Status(Func<HttpRequestMessage, HttpResponseMessage> step) { _status.Enqueue(step); return this; }
    public FireflyStub Status(string json, TimeSpan? retryAfter = null) => Status(_ => Json(200, json, retryAfter));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(ct);
        lock (_requests) _requests.Add((request.Method.Method, request.RequestUri!.AbsolutePath, _watch.Elapsed, body, request));
        if (request.RequestUri.AbsolutePath.StartsWith("/v3/status/", StringComparison.Ordinal))
        {
            Func<HttpRequestMessage, HttpResponseMessage> step;
            lock (_status) step = _status.Count > 0 ? _status.Dequeue() : StatusDefault;
            return step(request);
        }
        if (request.Method == HttpMethod.Post && OnPost is not null) return OnPost(request, body);
        return OnOther?.Invoke(request) ?? Json(404, """{"error_code":"not_found","message":"no route"}""");
    }

    public static HttpResponseMessage Json(int status, string json, TimeSpan? retryAfter = null, string? requestId = null)
    {
        var res = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (retryAfter is { } ra) res.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(ra);
        if (requestId is not null) res.Headers.Add("x-request-id", requestId);
        return res;
    }

    public static string Succeeded(string url = "http://firefly.test/out/1.png") =>
        $$$"""{"jobId":"{{{JobId}}}","status":"succeeded","progress":100,"result":{"size":{"width":1024,"height":1024},"outputs":[{"seed":42,"image":{"url":"{{{url}}}"}}],"contentClass":"art"}}""";

    public FireflyClient Client(Action<KilnClientOptions>? configure = null)
    {
        var o = new KilnClientOptions { ClientId = "stub", JobPollInterval = TimeSpan.FromMilliseconds(20), MaxJobPollInterval = TimeSpan.FromMilliseconds(80) };
        o.UseKiln(Base);
        configure?.Invoke(o);
        return new FireflyClient(new HttpClient(this) { BaseAddress = Base }, Options.Create(o));
    }

    public static FireflyJob Job => new(JobId, new Uri(Base, "/v3/status/" + JobId), new Uri(Base, "/v3/cancel/" + JobId));
}
