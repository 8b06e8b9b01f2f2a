using System.Net;
using System.Text;

namespace Kiln.Client.Tests.Conformance;

/// <summary>An HTTP endpoint in a handler: answers by path, records every absolute URL it was sent.</summary>
public sealed class Recorder(Func<HttpRequestMessage, Task<HttpResponseMessage>> answer) : HttpMessageHandler
{
    private readonly List<Uri> _urls = [];
    public IReadOnlyList<Uri> Urls { get { lock (_urls) return [.. _urls]; } }
    public int Count { get { lock (_urls) return _urls.Count; } }

    public Recorder(Func<HttpRequestMessage, HttpResponseMessage> answer) : this(r => Task.FromResult(answer(r))) { }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        lock (_urls) _urls.Add(request.RequestUri!);
        return answer(request);
    }

    public static HttpResponseMessage Json(int status, string json, string? requestId = null, TimeSpan? retryAfter = null)
    {
        var res = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (requestId is not null) res.Headers.Add("x-request-id", requestId);
        if (retryAfter is { } ra) res.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(ra);
        return res;
    }

    public const string Token = """{"access_token":"tok","token_type":"bearer","expires_in":86399}""";
    public const string Images = """{"size":{"width":1024,"height":1024},"outputs":[{"seed":1,"image":{"url":"http://out.test/1.jpg"}}]}""";
}
