using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using SkiaSharp;

namespace Kiln.Server.Tests.Firefly;

/// <summary>
/// Request bodies shaped exactly as the Firefly JS SDK 2.0.1 sends them (its bundled OpenAPI document,
/// docs/firefly.md#sdk-schema-conformance): each difference Kiln had, over HTTP.
/// </summary>
public sealed class SdkConformanceTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private async Task<(HttpClient Http, string Src, string Mask)> SetupAsync()
    {
        _kiln.Start();
        var http = await _kiln.DemoClientAsync();
        var src = await FireflyKit.UploadAsync(http, FireflyKit.Image(1024, 1024));
        var mask = await FireflyKit.UploadAsync(http, FireflyKit.Mask(1024, 1024, new SKRectI(256, 256, 768, 768)));
        return (http, src, mask);
    }

    private static async Task<byte[]> FirstImageAsync(JsonElement json) =>
        await FireflyKit.DownloadAsync(json.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!);

    [Fact]
    public async Task Fill_takes_image_mask_as_the_SDKs_PublicBinaryInput_and_renders_as_with_the_source_form()
    {
        var (http, src, mask) = await SetupAsync();
        // The SDK's InputImage: {source: PublicBinaryInput, mask: PublicBinaryInput}.
        var sdk = await FireflyKit.GenerateOkAsync(http, "/v3/images/fill",
            """{"prompt":"a red ball","image":{"source":{"uploadId":"SRC"},"mask":{"uploadId":"MASK"}},"seeds":[4]}""".Replace("SRC", src).Replace("MASK", mask));
        var wrapped = await FireflyKit.GenerateOkAsync(http, "/v3/images/fill",
            """{"prompt":"a red ball","image":{"source":{"uploadId":"SRC"},"mask":{"source":{"uploadId":"MASK"}}},"seeds":[4]}""".Replace("SRC", src).Replace("MASK", mask));
        Assert.Equal(await FirstImageAsync(wrapped), await FirstImageAsync(sdk));

        // {url} works too: one of Kiln's own pre-signed URLs, as a mask.
        var generated = await FireflyKit.GenerateOkAsync(http, "/v3/images/generate", """{"prompt":"black and white shapes","seeds":[9],"size":{"width":1024,"height":1024}}""");
        var url = generated.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString();
        var byUrl = await FireflyKit.GenerateOkAsync(http, "/v3/images/fill",
            JsonSerializer.Serialize(new { prompt = "a red ball", image = new { source = new { uploadId = src }, mask = new { url } }, seeds = new[] { 4 } }));
        Assert.Equal(1024, byUrl.GetProperty("size").GetProperty("width").GetInt32());
    }

    [Theory]
    [InlineData("generate-object-composite", """{"prompt":"on a beach","image":{"source":{"uploadId":"{SRC}"},"mask":{"uploadId":"{MASK}"}},"contentClass":"photo","seeds":[5],"size":{"width":1024,"height":1024}}""")]
    [InlineData("expand", """{"prompt":"more sky","image":{"source":{"uploadId":"{SRC}"},"mask":{"uploadId":"{MASK}"}},"seeds":[3],"size":{"width":1024,"height":1024}}""")]
    [InlineData("generate-object-composite-async", """{"prompt":"on a beach","image":{"source":{"uploadId":"{SRC}"},"mask":{"uploadId":"{MASK}"}},"seeds":[5],"size":{"width":1024,"height":1024}}""")]
    public async Task Object_composite_and_expand_take_image_mask_as_a_PublicBinaryInput(string op, string body)
    {
        var (http, src, mask) = await SetupAsync();
        using var res = await http.PostRawAsync("/v3/images/" + op, body.Replace("{SRC}", src).Replace("{MASK}", mask));
        if (op.EndsWith("-async", StringComparison.Ordinal))
        {
            var job = await HttpAssert.JsonAsync(res, 202);
            var status = await FireflyKit.PollAsync(http, job.GetProperty("statusUrl").GetString()!);
            Assert.Equal("succeeded", status.GetProperty("status").GetString());
        }
        else Assert.Equal(1024, (await HttpAssert.JsonAsync(res, 200)).GetProperty("size").GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task A_bad_PublicBinaryInput_mask_is_a_422_at_its_own_loc()
    {
        var (http, src, _) = await SetupAsync();
        async Task ExpectAsync(string mask, params string[] loc)
        {
            using var res = await http.PostRawAsync("/v3/images/fill", """{"image":{"source":{"uploadId":"SRC"},"mask":MASK}}""".Replace("SRC", src).Replace("MASK", mask));
            var json = await HttpAssert.JsonAsync(res, 422);
            Assert.Equal("validation_error", json.GetProperty("error_code").GetString());
            Assert.Contains(json.GetProperty("validation_errors").EnumerateArray(),
                e => e.GetProperty("loc").EnumerateArray().Select(x => x.GetString()).SequenceEqual(loc));
        }
        await ExpectAsync("""{}""", "body", "image", "mask");
        await ExpectAsync("""{"uploadId":"not-a-uuid"}""", "body", "image", "mask", "uploadId");
        await ExpectAsync("""{"url":"ftp://example.com/m.png"}""", "body", "image", "mask", "url");
        await ExpectAsync($$"""{"uploadId":"{{Guid.NewGuid()}}"}""", "body", "image", "mask", "uploadId"); // unknown upload
        await ExpectAsync("""{"uploadId":"x","url":"https://a.amazonaws.com/m.png"}""", "body", "image", "mask", "uploadId");
        await ExpectAsync("""[1]""", "body", "image", "mask");
    }

    [Fact]
    public async Task An_image_reference_without_source_is_no_reference_as_the_SDKs_schema_allows()
    {
        _kiln.Start();
        var http = await _kiln.DemoClientAsync();
        // StylesImageReference and StructureImageReference have an optional source.
        var json = await FireflyKit.GenerateOkAsync(http, "/v3/images/generate",
            """{"prompt":"a lighthouse","style":{"strength":50,"imageReference":{}},"structure":{"strength":10,"imageReference":{}},"seeds":[1],"size":{"width":1024,"height":1024}}""");
        Assert.Equal(1024, json.GetProperty("size").GetProperty("width").GetInt32());
    }
}
