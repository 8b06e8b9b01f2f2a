using System.Net.Sockets;
using System.Text;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Firefly;

/// <summary>Pre-signed /files URLs (docs/firefly.md#pre-signed-urls): they work for an hour; tampered, expired or traversing ones get an opaque 403.</summary>
public sealed class StorageUrlTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    // These tests are about Kiln's own signed /files URLs, so they pin local storage (S3 URLs: ScaleOut/S3StorageTests).
    public StorageUrlTests() => _kiln = new KilnFactory(_clock).WithLocalStorage();

    public void Dispose() => _kiln.Dispose();

    private async Task<string> ImageUrlAsync()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        var json = await FireflyKit.GenerateOkAsync(http, "/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024}}""");
        return json.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
    }

    private static async Task AssertDeniedAsync(HttpResponseMessage res)
    {
        var json = await HttpAssert.JsonAsync(res, 403);
        Assert.Equal("access_denied", json.GetProperty("error_code").GetString());
        Assert.Equal("Access denied", json.GetProperty("message").GetString()); // the same words for every cause
    }

    [Fact]
    public async Task Url_works_until_it_expires_after_an_hour()
    {
        var url = await ImageUrlAsync();
        using var plain = new HttpClient();
        _clock.Advance(TimeSpan.FromMinutes(59));
        using (var ok = await plain.GetAsync(url)) Assert.Equal("image/jpeg", ok.Content.Headers.ContentType?.MediaType);
        _clock.Advance(TimeSpan.FromMinutes(2));
        await AssertDeniedAsync(await plain.GetAsync(url));
    }

    [Fact]
    public async Task Tampered_signature_expiry_or_path_is_denied()
    {
        var url = await ImageUrlAsync();
        using var plain = new HttpClient();
        var uri = new Uri(url);
        var q = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query);
        var (expires, sig) = (q["expires"].ToString(), q["sig"].ToString());
        var basePath = uri.GetLeftPart(UriPartial.Path);

        await AssertDeniedAsync(await plain.GetAsync($"{basePath}?expires={expires}&sig={(sig[0] == 'A' ? 'B' : 'A')}{sig[1..]}"));
        await AssertDeniedAsync(await plain.GetAsync($"{basePath}?expires={long.Parse(expires) + 3600}&sig={sig}"));
        await AssertDeniedAsync(await plain.GetAsync($"{basePath.Replace(".jpg", "x.jpg", StringComparison.Ordinal)}?expires={expires}&sig={sig}"));
        await AssertDeniedAsync(await plain.GetAsync(basePath));
    }

    [Theory]
    [InlineData("/files/../kiln.db")]
    [InlineData("/files/outputs/../../kiln.db")]
    [InlineData("/files/%2e%2e/kiln.db")]
    [InlineData("/files/%2E%2E%2Fkiln.db")]
    [InlineData("/files//etc/passwd")]
    [InlineData("/files/..%5ckiln.db")]
    public async Task Path_traversal_is_denied(string target)
    {
        _kiln.Start();
        var (status, body) = await RawGetAsync(_kiln.BaseAddress, target + "?expires=9999999999&sig=x");
        Assert.Equal(403, status);
        Assert.Contains("\"access_denied\"", body);
        Assert.DoesNotContain("kiln.db", body);
    }

    /// <summary>Sends the request target byte for byte (HttpClient would normalise the dots away).</summary>
    private static async Task<(int Status, string Body)> RawGetAsync(Uri baseAddress, string target)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseAddress.Host, baseAddress.Port);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {baseAddress.Authority}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        var status = int.Parse(text.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }
}

/// <summary>Results expire (docs/firefly.md#pre-signed-urls, Kiln:Firefly:ResultLifetime) and the cleanup service removes files and jobs.</summary>
public sealed class CleanupTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    public CleanupTests() => _kiln = new KilnFactory(_clock).WithLocalStorage(); // reads the stored files itself

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Outputs_and_finished_jobs_are_deleted_after_the_result_lifetime()
    {
        _kiln.With("Kiln:Firefly:CleanupInterval", "00:00:00.200").With("Kiln:PublicBaseUrl", "http://kiln.example.test:8080").Start();
        using var http = await _kiln.DemoClientAsync();
        using var res = await http.PostRawAsync("/v3/images/generate-async", """{"prompt":"x","size":{"width":1024,"height":1024}}""");
        var accepted = await HttpAssert.JsonAsync(res, 202);
        var statusUrl = accepted.GetProperty("statusUrl").GetString()!;
        Assert.StartsWith("http://kiln.example.test:8080/v3/status/urn:ff:jobs:kiln:", statusUrl); // built from Kiln:PublicBaseUrl
        var path = new Uri(statusUrl).PathAndQuery;
        var done = await FireflyKit.PollAsync(http, path);
        var url = new Uri(done.GetProperty("result").GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!);
        Assert.Equal("kiln.example.test", url.Host);
        var file = Path.Combine(_kiln.DataDir, "blobs", url.AbsolutePath["/files/".Length..]);
        Assert.True(File.Exists(file));

        _clock.Advance(TimeSpan.FromHours(23));
        await Task.Delay(600);
        Assert.True(File.Exists(file), "deleted before the result lifetime");

        _clock.Advance(TimeSpan.FromHours(2));
        using var fresh = _kiln.Authed(await _kiln.DemoTokenAsync(), _kiln.Demo.ClientId);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (File.Exists(file))
        {
            Assert.True(DateTime.UtcNow < deadline, "expired output was not deleted");
            await Task.Delay(100);
        }
        while (true)
        {
            using var status = await fresh.GetAsync(path);
            if ((int)status.StatusCode == 404)
            {
                Assert.Equal("unknown_job_id", (await HttpAssert.JsonAsync(status, 404)).GetProperty("error_code").GetString());
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, "expired job was not deleted");
            await Task.Delay(100);
        }
    }
}
