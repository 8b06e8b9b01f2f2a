using System.Net.Http.Json;
using System.Text;
using Kiln.Server.Storage;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>Blobs in a real S3-protocol server (s3rver), with real S3 pre-signed URLs.</summary>
public sealed class S3StorageTests : IDisposable
{
    private readonly KilnFactory _kiln = new KilnFactory().WithS3();

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Put_get_exists_and_delete_go_to_the_bucket()
    {
        _kiln.Start();
        var store = _kiln.Services.GetRequiredService<IBlobStore>();
        Assert.IsType<S3BlobStore>(Assert.IsType<MeasuredBlobStore>(store).Inner);
        var body = Encoding.UTF8.GetBytes(new string('k', 100_000)); // larger than one aws-chunk: must not be framed
        await store.PutAsync("t/blob.bin", new MemoryStream(body), "application/octet-stream");
        Assert.True(await store.ExistsAsync("t/blob.bin"));
        await using (var read = (await store.OpenReadAsync("t/blob.bin"))!)
        {
            var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(body, copy.ToArray());
        }
        await store.DeleteAsync("t/blob.bin");
        Assert.False(await store.ExistsAsync("t/blob.bin"));
        Assert.Null(await store.OpenReadAsync("t/blob.bin"));
    }

    [Fact]
    public async Task Generated_image_url_is_an_s3_presigned_url_that_a_plain_client_downloads()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.FireflyScopes);
        var res = await http.PostAsJsonAsync("/v3/images/generate", new { prompt = "a red fox in a snowy forest", size = new { width = 1024, height = 1024 } });
        var json = await HttpAssert.JsonAsync(res, 200);
        var url = new Uri(json.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!);
        Assert.StartsWith(TestStorage.Endpoint, url.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal);
        Assert.Contains("X-Amz-Signature=", url.Query, StringComparison.Ordinal);
        var expires = System.Text.RegularExpressions.Regex.Match(url.Query, "X-Amz-Expires=([0-9]+)").Groups[1].Value;
        Assert.InRange(int.Parse(expires), 3599, 3601); // one hour; the SDK counts whole seconds from its own clock

        using var plain = new HttpClient();
        var bytes = await plain.GetByteArrayAsync(url);
        using var image = SKBitmap.Decode(bytes);
        Assert.Equal((1024, 1024), (image.Width, image.Height));
        Assert.Equal(0xFF, bytes[0]); // JPEG SOI
        Assert.Equal(0xD8, bytes[1]);
        var ready = await HttpAssert.JsonAsync(await _kiln.Http().GetAsync("/health/ready"), 200);
        Assert.Contains("S3BlobStore", ready.GetProperty("checks").GetProperty("storage").GetProperty("description").GetString());
        Assert.NotNull(demo);
    }

    [Fact]
    public async Task Presigned_url_expires()
    {
        _kiln.With("Kiln:Storage:UrlLifetime", "00:00:02").Start();
        var store = _kiln.Services.GetRequiredService<IBlobStore>();
        await store.PutAsync("t/short.txt", new MemoryStream("hello"u8.ToArray()), "text/plain");
        var url = await store.GetDownloadUrlAsync("t/short.txt", TimeSpan.FromSeconds(2));
        using var plain = new HttpClient();
        Assert.Equal("hello", await plain.GetStringAsync(url));
        await Task.Delay(3500);
        Assert.Equal(403, (int)(await plain.GetAsync(url)).StatusCode);
        Assert.Null(store.KeyFromOwnUrl(new Uri(url))); // an expired URL is not accepted as a source either
    }

    [Fact]
    public async Task Own_presigned_url_and_upload_work_as_sources()
    {
        _kiln.Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.FireflyScopes);
        var first = await HttpAssert.JsonAsync(await http.PostAsJsonAsync("/v3/images/generate", new { prompt = "blue sea", size = new { width = 1024, height = 1024 }, seeds = new[] { 1 } }), 200);
        var url = first.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString();
        var similar = await http.PostAsJsonAsync("/v3/images/generate-similar", new { image = new { source = new { url } }, size = new { width = 1024, height = 1024 } });
        await HttpAssert.JsonAsync(similar, 200);

        using var png = new SKBitmap(64, 64);
        png.Erase(SKColors.Orange);
        using var data = SKImage.FromBitmap(png).Encode(SKEncodedImageFormat.Png, 100);
        var upload = new ByteArrayContent(data.ToArray());
        upload.Headers.ContentType = new("image/png");
        var uploaded = await HttpAssert.JsonAsync(await http.PostAsync("/v2/storage/image", upload), 200);
        var id = uploaded.GetProperty("images")[0].GetProperty("id").GetString();
        var expand = await http.PostAsJsonAsync("/v3/images/expand", new { image = new { source = new { uploadId = id } }, size = new { width = 1024, height = 1024 } });
        await HttpAssert.JsonAsync(expand, 200);
    }

    [Fact]
    public async Task Cleanup_removes_expired_outputs_from_the_bucket()
    {
        _kiln.With("Kiln:Firefly:ResultLifetime", "00:00:01").With("Kiln:Firefly:CleanupInterval", "00:00:01").Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.FireflyScopes);
        var json = await HttpAssert.JsonAsync(await http.PostAsJsonAsync("/v3/images/generate", new { prompt = "a tree", size = new { width = 1024, height = 1024 } }), 200);
        var url = json.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
        using var plain = new HttpClient();
        var status = 200;
        for (var i = 0; i < 60 && status == 200; i++)
        {
            await Task.Delay(250);
            status = (int)(await plain.GetAsync(url)).StatusCode;
        }
        Assert.Equal(404, status);
    }
}
