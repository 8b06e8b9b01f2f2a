using System.Net;
using System.Net.Http.Headers;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Firefly;

/// <summary>
/// <c>POST /v2/storage/image</c> never holds a body whole (docs/firefly.md#uploads): a non-image is refused from its
/// first bytes, a valid upload is streamed to the store, and past <c>MaxConcurrentUploads</c> the node answers 429.
/// </summary>
public sealed class UploadStreamingTests : IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    /// <summary>
    /// A plain client: the factory's clients buffer a request body whole before sending it (to replay it on a
    /// redirect), which would hide what the server reads.
    /// </summary>
    private async Task<HttpClient> StreamingClientAsync()
    {
        var c = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = _kiln.BaseAddress };
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await _kiln.DemoTokenAsync());
        c.DefaultRequestHeaders.Add("x-api-key", _kiln.Demo.ClientId);
        return c;
    }

    /// <summary>A body of <paramref name="total"/> bytes, <paramref name="head"/> then zeros, sent in 64 KiB chunks with a pause between.</summary>
    private sealed class TrickleContent(byte[] head, long total, TimeSpan pause, string type, CancellationToken stop = default) : HttpContent
    {
        private long _sent;

        public long Sent => Interlocked.Read(ref _sent);

        public TrickleContent Typed()
        {
            Headers.ContentType = new MediaTypeHeaderValue(type);
            return this;
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context) => await SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken ct)
        {
            var chunk = new byte[64 * 1024];
            try
            {
                await stream.WriteAsync(head, ct);
                Interlocked.Add(ref _sent, head.Length);
                while (Sent < total && !stop.IsCancellationRequested)
                {
                    var n = (int)Math.Min(chunk.Length, total - Sent);
                    await stream.WriteAsync(chunk.AsMemory(0, n), ct);
                    Interlocked.Add(ref _sent, n);
                    if (pause > TimeSpan.Zero) await Task.Delay(pause, ct);
                }
                stop.ThrowIfCancellationRequested();
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !stop.IsCancellationRequested)
            {
                // The server answered and closed the connection before the whole body went: what this test expects.
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = total;
            return true;
        }
    }

    /// <summary>
    /// Sends an upload over a raw socket, <paramref name="head"/> then zeros up to <paramref name="total"/> bytes in
    /// 64 KiB chunks with a pause between, while reading the answer; returns the status line, the body and how many
    /// body bytes had been sent when the answer's first bytes came. (HttpClient waits until its request body is sent.)
    /// </summary>
    private async Task<(string Status, string Body, long SentWhenAnswered)> RawUploadAsync(byte[] head, long total, TimeSpan pause)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(_kiln.BaseAddress.Host, _kiln.BaseAddress.Port);
        var stream = tcp.GetStream();
        var request = $"POST /v2/storage/image HTTP/1.1\r\nHost: {_kiln.BaseAddress.Authority}\r\nAuthorization: Bearer {await _kiln.DemoTokenAsync()}\r\n" +
            $"x-api-key: {_kiln.Demo.ClientId}\r\nContent-Type: image/png\r\nContent-Length: {total}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        long sent = 0, sentWhenAnswered = -1;
        using var answered = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            var chunk = new byte[64 * 1024];
            try
            {
                await stream.WriteAsync(head, answered.Token);
                Interlocked.Add(ref sent, head.Length);
                while (Interlocked.Read(ref sent) < total && !answered.IsCancellationRequested)
                {
                    var n = (int)Math.Min(chunk.Length, total - Interlocked.Read(ref sent));
                    await stream.WriteAsync(chunk.AsMemory(0, n), answered.Token);
                    Interlocked.Add(ref sent, n);
                    await Task.Delay(pause, answered.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException) { /* answered, or the server closed */ }
        });
        var received = new MemoryStream();
        var buffer = new byte[8192];
        int read;
        try
        {
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                if (sentWhenAnswered < 0)
                {
                    sentWhenAnswered = Interlocked.Read(ref sent);
                    await answered.CancelAsync(); // stop sending: the rest of the body is not wanted
                }
                received.Write(buffer, 0, read);
                if (Complete(received.ToArray())) break;
            }
        }
        catch (IOException) { /* reset after the answer */ }
        await answered.CancelAsync();
        await sending;
        var text = System.Text.Encoding.UTF8.GetString(received.ToArray());
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(end > 0, $"no answer: {text}");
        var headers = text[..end];
        var rest = text[(end + 4)..];
        if (headers.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new System.Text.StringBuilder();
            for (var i = 0; ;)
            {
                var eol = rest.IndexOf("\r\n", i, StringComparison.Ordinal);
                var size = Convert.ToInt32(rest[i..eol], 16);
                if (size == 0) break;
                body.Append(rest, eol + 2, size);
                i = eol + 2 + size + 2;
            }
            rest = body.ToString();
        }
        return (headers[..headers.IndexOf('\r', StringComparison.Ordinal)], rest, sentWhenAnswered);
    }

    /// <summary>Whether <paramref name="answer"/> holds a whole HTTP response (Content-Length or chunked).</summary>
    private static bool Complete(byte[] answer)
    {
        var text = System.Text.Encoding.UTF8.GetString(answer);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0) return false;
        var length = System.Text.RegularExpressions.Regex.Match(text[..end], "(?im)^content-length: *([0-9]+)");
        return length.Success
            ? answer.Length - end - 4 >= int.Parse(length.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : text.EndsWith("\r\n0\r\n\r\n", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_large_non_image_body_is_refused_from_its_first_bytes_without_buffering_it()
    {
        _kiln.Start();
        await RawUploadAsync("warm up"u8.ToArray(), 7, TimeSpan.Zero);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var (status, body, sentWhenAnswered) = await RawUploadAsync("this is not an image at all"u8.ToArray(), 49 * MiB, TimeSpan.FromMilliseconds(5));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal("HTTP/1.1 400 Bad Request", status);
        var json = System.Text.Json.JsonDocument.Parse(body).RootElement;
        Assert.Equal("bad_request", json.GetProperty("error_code").GetString());
        Assert.Equal("The body is not a valid image/png image", json.GetProperty("message").GetString());
        Assert.True(sentWhenAnswered is >= 0 and < 8 * MiB, $"the refusal came after {sentWhenAnswered} of {49 * MiB} bytes were sent");
        // Reading the 49 MiB body whole allocates at least that much. The bound is generous (client and server share the process).
        Assert.True(allocated < 16 * MiB, $"the refusal allocated {allocated} bytes in the process");
    }

    [Fact]
    public async Task A_valid_upload_is_streamed_to_the_store_not_held_in_memory()
    {
        // Local disk: the S3 store copies a stream of unknown length into memory before PutObject (docs/firefly.md#uploads).
        _kiln.WithLocalStorage().Start();
        using var http = await StreamingClientAsync();
        await FireflyKit.UploadAsync(http, FireflyKit.Image(64, 64)); // warm up

        var body = new TrickleContent(FireflyKit.Image(640, 480), 40 * MiB, TimeSpan.Zero, "image/png").Typed();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        using var res = await http.PostAsync("/v2/storage/image", body);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        var json = await HttpAssert.JsonAsync(res, 200);
        var id = json.GetProperty("images")[0].GetProperty("id").GetString();
        Assert.True(Guid.TryParseExact(id, "D", out _));
        Assert.Equal(40 * MiB, body.Sent);
        Assert.True(allocated < 16 * MiB, $"a {40 * MiB}-byte upload allocated {allocated} bytes in the process");
    }

    [Fact]
    public async Task Uploads_past_the_per_node_bound_get_429_with_Retry_After()
    {
        _kiln.WithLocalStorage().With("Kiln:Firefly:MaxConcurrentUploads", "1").Start();
        using var http = await StreamingClientAsync();
        using var stop = new CancellationTokenSource();
        var slow = new TrickleContent(FireflyKit.Image(64, 64), 20 * MiB, TimeSpan.FromMilliseconds(20), "image/png", stop.Token).Typed();
        var first = http.PostAsync("/v2/storage/image", slow, stop.Token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (slow.Sent < 1 * MiB) // the server is reading it: the one slot is taken
        {
            Assert.True(DateTime.UtcNow < deadline, "the slow upload did not start");
            await Task.Delay(20);
        }

        using (var res = await http.PostAsync("/v2/storage/image", new ByteArrayContent(FireflyKit.Image(64, 64)) { Headers = { ContentType = new("image/png") } }))
        {
            var json = await HttpAssert.JsonAsync(res, 429);
            Assert.Equal("rate_limited", json.GetProperty("error_code").GetString());
            Assert.True(res.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, $"Retry-After: {res.Headers.RetryAfter}");
        }

        await stop.CancelAsync();
        try { (await first).Dispose(); } catch (OperationCanceledException) { }
        // The slot comes back once the aborted upload is done.
        while (true)
        {
            using var content = new ByteArrayContent(FireflyKit.Image(64, 64)) { Headers = { ContentType = new("image/png") } };
            using var res = await http.PostAsync("/v2/storage/image", content);
            if (res.StatusCode == HttpStatusCode.OK) break;
            Assert.Equal(HttpStatusCode.TooManyRequests, res.StatusCode);
            Assert.True(DateTime.UtcNow < deadline, "the slot of the aborted upload never came back");
            await Task.Delay(100);
        }
    }
}
