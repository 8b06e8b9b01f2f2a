using Microsoft.Extensions.DependencyInjection;
using System.Net.Http.Headers;
using System.Text;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using SkiaSharp;

namespace Kiln.Server.Tests.Firefly;

/// <summary><c>POST /v2/storage/image</c> (docs/firefly.md#uploads): types, size limit, magic check, bombs, org scope and lifetime.</summary>
public sealed class UploadTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    public UploadTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    private static ByteArrayContent Body(byte[] bytes, string type)
    {
        var c = new ByteArrayContent(bytes);
        c.Headers.ContentType = new MediaTypeHeaderValue(type);
        return c;
    }

    private static async Task ErrorAsync(HttpResponseMessage res, int status, string code) =>
        Assert.Equal(code, (await HttpAssert.JsonAsync(res, status)).GetProperty("error_code").GetString());

    [Theory]
    [InlineData("image/png", SKEncodedImageFormat.Png)]
    [InlineData("image/jpeg", SKEncodedImageFormat.Jpeg)]
    [InlineData("image/webp", SKEncodedImageFormat.Webp)]
    public async Task Upload_then_use_as_uploadId(string type, SKEncodedImageFormat format)
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        var id = await FireflyKit.UploadAsync(http, FireflyKit.Image(800, 600, format), type);
        Assert.True(Guid.TryParseExact(id, "D", out _));
        var json = await FireflyKit.GenerateOkAsync(http, "/v3/images/generate-similar",
            """{"image":{"source":{"uploadId":"ID"}},"size":{"width":1024,"height":1024}}""".Replace("ID", id, StringComparison.Ordinal));
        Assert.Equal(1024, json.GetProperty("size").GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task Wrong_type_is_415_mismatched_bytes_are_400_and_oversized_is_413()
    {
        _kiln.With("Kiln:Firefly:MaxUploadBytes", "100000").Start();
        using var http = await _kiln.DemoClientAsync();
        await ErrorAsync(await http.PostAsync("/v2/storage/image", Body(FireflyKit.Image(64, 64), "image/gif")), 415, "invalid_content_type");
        await ErrorAsync(await http.PostAsync("/v2/storage/image", Body(Encoding.ASCII.GetBytes("hello"), "text/plain")), 415, "invalid_content_type");
        await ErrorAsync(await http.PostAsync("/v2/storage/image", Body(FireflyKit.Image(64, 64), "image/jpeg")), 400, "bad_request"); // PNG bytes
        await ErrorAsync(await http.PostAsync("/v2/storage/image", Body(Encoding.ASCII.GetBytes("not an image"), "image/png")), 400, "bad_request");
        var big = new byte[150_000];
        FireflyKit.Image(64, 64).CopyTo(big, 0);
        await ErrorAsync(await http.PostAsync("/v2/storage/image", Body(big, "image/png")), 413, "request_too_large");
    }

    [Fact]
    public async Task Decompression_bomb_is_refused_from_its_header()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        // A valid PNG header that claims 60000 x 60000 pixels, with almost no data behind it.
        var png = FireflyKit.Image(8, 8);
        BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(60000)).CopyTo(png, 16);
        BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(60000)).CopyTo(png, 20);
        BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(Crc32(png.AsSpan(12, 17)))).CopyTo(png, 29);
        var res = await HttpAssert.JsonAsync(await http.PostAsync("/v2/storage/image", Body(png, "image/png")), 400);
        Assert.Contains("too large", res.GetProperty("message").GetString());
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public async Task Upload_is_usable_only_by_its_org_and_expires_after_seven_days()
    {
        _kiln.With("Kiln:Firefly:CleanupInterval", "00:00:00.200").Start();
        using var http = await _kiln.DemoClientAsync();
        var id = await FireflyKit.UploadAsync(http, FireflyKit.Image(640, 640));
        var body = """{"image":{"source":{"uploadId":"ID"}},"size":{"width":1024,"height":1024}}""".Replace("ID", id, StringComparison.Ordinal);

        var (clientId, secret) = await FireflyKit.SecondOrgAsync(_kiln);
        using var other = _kiln.Authed(await _kiln.TokenAsync(clientId, secret), clientId);
        await ErrorAsync(await other.PostRawAsync("/v3/images/generate-similar", body), 422, "validation_error");

        _clock.Advance(TimeSpan.FromDays(6));
        using (var day6 = _kiln.Authed(await _kiln.DemoTokenAsync(), _kiln.Demo.ClientId))
            await FireflyKit.GenerateOkAsync(day6, "/v3/images/generate-similar", body);
        _clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        using var fresh = _kiln.Authed(await _kiln.DemoTokenAsync(), _kiln.Demo.ClientId);
        await ErrorAsync(await fresh.PostRawAsync("/v3/images/generate-similar", body), 422, "validation_error");

        // The cleanup service removes the stored object as well (local file or S3 object).
        var store = _kiln.Services.GetRequiredService<Kiln.Server.Storage.IBlobStore>();
        var key = $"uploads/{_kiln.Demo.OrgId}/{id}.png";
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await store.ExistsAsync(key))
        {
            Assert.True(DateTime.UtcNow < deadline, "expired upload file was not deleted");
            await Task.Delay(100);
        }
    }
}
