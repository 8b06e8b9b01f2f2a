using System.Net.Http.Headers;
using System.Text;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Firefly;

/// <summary>The seed's generate call (docs/firefly.md#responses) and the determinism and seed rules of docs/firefly.md#seeds-and-determinism.</summary>
public sealed class GenerateTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Seed_curl_generate_returns_a_downloadable_2048_jpeg()
    {
        var demo = _kiln.Start();
        var token = await _kiln.DemoTokenAsync(KilnFactory.FireflyScopes);
        using var http = _kiln.Http();
        using var req = new HttpRequestMessage(HttpMethod.Post, "/v3/images/generate")
        {
            Content = new StringContent(FireflyKit.Cat, Encoding.UTF8),
        };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json"); // exactly "application/json", as curl sends
        req.Headers.Accept.ParseAdd("application/json");
        req.Headers.Add("x-api-key", demo.ClientId);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Headers.Add("x-request-id", "seed-call-1");
        using var res = await http.SendAsync(req);

        var json = await HttpAssert.JsonAsync(res, 200);
        Assert.Equal("seed-call-1", res.Headers.GetValues("x-request-id").Single());
        Assert.Equal(2048, json.GetProperty("size").GetProperty("width").GetInt32());
        Assert.Equal(2048, json.GetProperty("size").GetProperty("height").GetInt32());
        Assert.Contains(json.GetProperty("contentClass").GetString(), new[] { "photo", "art" });
        var output = Assert.Single(json.GetProperty("outputs").EnumerateArray());
        var seed = output.GetProperty("seed").GetInt64();
        Assert.InRange(seed, 0, int.MaxValue);
        var url = output.GetProperty("image").GetProperty("url").GetString()!;
        Assert.StartsWith(TestStorage.IsS3 ? TestStorage.Endpoint + "/kiln-" : _kiln.BaseAddress.ToString().TrimEnd('/') + "/files/", url);

        FireflyKit.AssertJpeg(await FireflyKit.DownloadAsync(url), 2048, 2048);
    }

    [Fact]
    public async Task Same_prompt_seed_and_size_give_identical_bytes_and_other_seeds_differ()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        const string body = """{"prompt":"a lighthouse at sunset","seeds":[42],"size":{"width":1024,"height":1024}}""";
        var a = await FireflyKit.GenerateOkAsync(http, "/v3/images/generate", body);
        var b = await FireflyKit.GenerateOkAsync(http, "/v3/images/generate", body);
        var c = await FireflyKit.GenerateOkAsync(http, "/v3/images/generate", body.Replace("[42]", "[43]", StringComparison.Ordinal));
        string Url(System.Text.Json.JsonElement j) => j.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;

        Assert.NotEqual(Url(a), Url(b)); // two stored outputs...
        var bytesA = await FireflyKit.DownloadAsync(Url(a));
        var bytesB = await FireflyKit.DownloadAsync(Url(b));
        var bytesC = await FireflyKit.DownloadAsync(Url(c));
        Assert.Equal(bytesA, bytesB); // ...with the same bytes
        Assert.NotEqual(bytesA, bytesC);
        FireflyKit.AssertJpeg(bytesA, 1024, 1024);
        Assert.Equal(42, a.GetProperty("outputs")[0].GetProperty("seed").GetInt32());
    }

    [Fact]
    public async Task Absent_seeds_are_random_per_output_and_numVariations_gives_that_many()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        var json = await FireflyKit.GenerateOkAsync(http, "/v3/images/generate",
            """{"prompt":"forest","numVariations":"3","size":{"width":"1024","height":"1024"}}""");
        var seeds = json.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("seed").GetInt64()).ToList();
        Assert.Equal(3, seeds.Count);
        Assert.All(seeds, s => Assert.InRange(s, 0, int.MaxValue));
        Assert.Equal(3, seeds.Distinct().Count());
    }

    [Fact]
    public async Task Seeds_set_the_variation_count_and_contentClass_is_echoed()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        var json = await FireflyKit.GenerateOkAsync(http, "/v3/images/generate",
            """{"prompt":"city at night","seeds":[7,"8"],"contentClass":"photo","size":{"width":896,"height":1152},"unknownField":true}""");
        Assert.Equal([7, 8], json.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("seed").GetInt32()));
        Assert.Equal("photo", json.GetProperty("contentClass").GetString());
        var bytes = await FireflyKit.DownloadAsync(json.GetProperty("outputs")[1].GetProperty("image").GetProperty("url").GetString()!);
        FireflyKit.AssertJpeg(bytes, 896, 1152);
    }
}
