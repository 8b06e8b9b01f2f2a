using System.Collections.Concurrent;

namespace Kiln.Server.Tests.Infrastructure;

/// <summary>One response a test client received: what was asked and the body that came back.</summary>
public sealed record RecordedResponse(string Method, string Url, int Status, string Body);

/// <summary>Records every response body (text only) that a <see cref="KilnFactory"/> client receives, for leak checks.</summary>
public sealed class ResponseRecorder : DelegatingHandler
{
    private readonly ConcurrentQueue<RecordedResponse> _responses;

    public ResponseRecorder(ConcurrentQueue<RecordedResponse> responses) => _responses = responses;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var res = await base.SendAsync(request, ct);
        var type = res.Content.Headers.ContentType?.MediaType ?? "";
        var body = "";
        if (type.Contains("json", StringComparison.Ordinal) || type.StartsWith("text/", StringComparison.Ordinal))
        {
            await res.Content.LoadIntoBufferAsync(ct);
            body = await res.Content.ReadAsStringAsync(ct);
        }
        _responses.Enqueue(new RecordedResponse(request.Method.Method, request.RequestUri?.PathAndQuery ?? "", (int)res.StatusCode, body));
        return res;
    }
}
