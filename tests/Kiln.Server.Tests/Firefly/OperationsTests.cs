using System.Net.Http.Headers;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using SkiaSharp;

namespace Kiln.Server.Tests.Firefly;

/// <summary>Every image operation of docs/firefly.md#endpoints, sync and async, with real inputs.</summary>
public sealed class OperationsTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    /// <summary>A body for each operation; {SRC} and {MASK} are upload ids.</summary>
    private static string BodyFor(string op, bool isAsync) => op switch
    {
        "generate" => """{"prompt":"mountain lake","seeds":[1],"size":{"width":1024,"height":1024}}""",
        "generate-similar" => """{"image":{"source":{"uploadId":"{SRC}"}},"seeds":[2],"size":{"width":1024,"height":1024}}""",
        "expand" => """{"prompt":"more sky","image":{"source":{"uploadId":"{SRC}"}},"seeds":[3],"size":{"width":1344,"height":768}}""",
        "fill" => isAsync
            ? """{"prompt":"a red ball","image":{"source":{"uploadId":"{SRC}"}},"mask":{"source":{"uploadId":"{MASK}"}},"seeds":[4],"size":{"width":1024,"height":1024}}"""
            : """{"prompt":"a red ball","image":{"source":{"uploadId":"{SRC}"},"mask":{"source":{"uploadId":"{MASK}"}}},"seeds":[4]}""",
        _ => """{"prompt":"on a beach","image":{"source":{"uploadId":"{SRC}"}},"contentClass":"art","seeds":[5],"size":{"width":1024,"height":1024}}""",
    };

    private async Task<(HttpClient Http, string Src, string Mask)> SetupAsync()
    {
        _kiln.Start();
        var http = await _kiln.DemoClientAsync();
        var src = await FireflyKit.UploadAsync(http, FireflyKit.Image(1024, 1024));
        var mask = await FireflyKit.UploadAsync(http, FireflyKit.Mask(1024, 1024, new SKRectI(256, 256, 768, 768)));
        return (http, src, mask);
    }

    private static void AssertShape(JsonElement json, string op, int w, int h)
    {
        Assert.Equal(w, json.GetProperty("size").GetProperty("width").GetInt32());
        Assert.Equal(h, json.GetProperty("size").GetProperty("height").GetInt32());
        Assert.Single(json.GetProperty("outputs").EnumerateArray());
        Assert.Equal(op is "generate" or "generate-object-composite", json.TryGetProperty("contentClass", out _));
    }

    private static (int, int) SizeOf(string op) => op == "expand" ? (1344, 768) : (1024, 1024);

    [Theory]
    [InlineData("generate")]
    [InlineData("generate-similar")]
    [InlineData("expand")]
    [InlineData("fill")]
    [InlineData("generate-object-composite")]
    public async Task Sync_operation_answers_200_with_a_jpeg_at_the_size(string op)
    {
        var (http, src, mask) = await SetupAsync();
        var json = await FireflyKit.GenerateOkAsync(http, "/v3/images/" + op, BodyFor(op, false).Replace("{SRC}", src).Replace("{MASK}", mask));
        var (w, h) = SizeOf(op);
        AssertShape(json, op, w, h);
        FireflyKit.AssertJpeg(await FireflyKit.DownloadAsync(json.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!), w, h);
    }

    [Theory]
    [InlineData("generate")]
    [InlineData("generate-similar")]
    [InlineData("expand")]
    [InlineData("fill")]
    [InlineData("generate-object-composite")]
    public async Task Async_operation_answers_202_and_its_status_reaches_succeeded(string op)
    {
        var (http, src, mask) = await SetupAsync();
        using var res = await http.PostRawAsync($"/v3/images/{op}-async", BodyFor(op, true).Replace("{SRC}", src).Replace("{MASK}", mask));
        var accepted = await HttpAssert.JsonAsync(res, 202);
        var jobId = accepted.GetProperty("jobId").GetString()!;
        Assert.Matches("^urn:ff:jobs:kiln:[0-9a-f-]{36}$", jobId);
        var statusUrl = accepted.GetProperty("statusUrl").GetString()!;
        Assert.Equal(_kiln.BaseAddress.ToString().TrimEnd('/') + "/v3/status/" + jobId, statusUrl);
        Assert.Equal(_kiln.BaseAddress.ToString().TrimEnd('/') + "/v3/cancel/" + jobId, accepted.GetProperty("cancelUrl").GetString());
        Assert.Contains("rel=\"status\"", res.Headers.GetValues("Link").Single());

        var done = await FireflyKit.PollAsync(http, statusUrl);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(jobId, done.GetProperty("jobId").GetString());
        var result = done.GetProperty("result");
        var (w, h) = SizeOf(op);
        AssertShape(result, op, w, h);
        FireflyKit.AssertJpeg(await FireflyKit.DownloadAsync(result.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!), w, h);
    }

    [Fact]
    public async Task Fill_changes_the_masked_area_and_leaves_the_rest_alone()
    {
        var (http, src, mask) = await SetupAsync();
        var json = await FireflyKit.GenerateOkAsync(http, "/v3/images/fill", BodyFor("fill", false).Replace("{SRC}", src).Replace("{MASK}", mask));
        using var output = FireflyKit.Decode(await FireflyKit.DownloadAsync(json.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!));
        using var source = FireflyKit.Decode(FireflyKit.Image(1024, 1024));
        // Stay 24 px away from the mask edge, where an engine may blend.
        bool Outside(int x, int y) => x < 232 || x > 792 || y < 232 || y > 792;
        bool Inside(int x, int y) => x is > 280 and < 744 && y is > 280 and < 744;
        Assert.True(FireflyKit.MeanDiff(output, source, Outside) < 3, "unmasked pixels changed beyond JPEG tolerance");
        Assert.True(FireflyKit.MeanDiff(output, source, Inside) > 10, "the masked area was not filled");
    }

    [Fact]
    public async Task Expand_keeps_the_source_where_it_is_placed()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        var src = await FireflyKit.UploadAsync(http, FireflyKit.Image(512, 512));
        var json = await FireflyKit.GenerateOkAsync(http, "/v3/images/expand",
            """{"image":{"source":{"uploadId":"SRC"}},"size":{"width":2048,"height":2048},"seeds":[9],"placement":{"alignment":{"horizontal":"left","vertical":"top"}}}""".Replace("SRC", src, StringComparison.Ordinal));
        using var output = FireflyKit.Decode(await FireflyKit.DownloadAsync(json.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!));
        using var source = FireflyKit.Decode(FireflyKit.Image(512, 512));
        Assert.True(FireflyKit.MeanDiff(output, source, (x, y) => x is > 8 and < 488 && y is > 8 and < 488) < 3, "the source is not at the top left");
    }

    [Fact]
    public async Task Async_multipart_variant_references_files_parts_by_name_or_index()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("""{"prompt":"a red ball","image":{"source":{"uploadId":"photo.png"}},"mask":{"source":{"uploadId":"1"}},"seeds":[4],"size":{"width":1024,"height":1024}}"""), "request");
        var img = new ByteArrayContent(FireflyKit.Image(1024, 1024));
        img.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(img, "files", "photo.png");
        var m = new ByteArrayContent(FireflyKit.Mask(1024, 1024, new SKRectI(0, 0, 512, 1024)));
        m.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(m, "files", "mask.png");
        using var res = await http.PostAsync("/v3/images/fill-async", form);
        var accepted = await HttpAssert.JsonAsync(res, 202);
        var done = await FireflyKit.PollAsync(http, accepted.GetProperty("statusUrl").GetString()!);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        using var output = FireflyKit.Decode(await FireflyKit.DownloadAsync(done.GetProperty("result").GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!));
        using var source = FireflyKit.Decode(FireflyKit.Image(1024, 1024));
        Assert.True(FireflyKit.MeanDiff(output, source, (x, _) => x > 540) < 3);
    }
}
