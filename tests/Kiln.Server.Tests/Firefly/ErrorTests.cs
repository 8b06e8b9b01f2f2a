using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Firefly;

/// <summary>The error paths of docs/firefly.md#errors and the validation rules of docs/firefly.md#validation.</summary>
public sealed class ErrorTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage res, int status, string code)
    {
        var json = await HttpAssert.JsonAsync(res, status);
        Assert.Equal(code, json.GetProperty("error_code").GetString());
        Assert.Equal(JsonValueKind.String, json.GetProperty("message").ValueKind);
        Assert.True(res.Headers.Contains("x-request-id"));
        return json;
    }

    private static string[] Loc(JsonElement e) => e.GetProperty("loc").EnumerateArray().Select(x => x.ToString()).ToArray();

    private static async Task<JsonElement> ValidationAsync(HttpResponseMessage res, params string[] loc)
    {
        var json = await ErrorAsync(res, 422, "validation_error");
        var errors = json.GetProperty("validation_errors").EnumerateArray().ToList();
        var match = errors.FirstOrDefault(e => Loc(e).SequenceEqual(loc));
        Assert.True(match.ValueKind == JsonValueKind.Object, $"no error at [{string.Join(",", loc)}] in {json}");
        Assert.False(string.IsNullOrEmpty(match.GetProperty("msg").GetString()));
        Assert.False(string.IsNullOrEmpty(match.GetProperty("type").GetString()));
        return match;
    }

    [Fact]
    public async Task Malformed_or_empty_bodies_are_400_and_wrong_content_type_is_415()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        await ErrorAsync(await http.PostRawAsync("/v3/images/generate", "{\"prompt\": "), 400, "bad_request");
        await ErrorAsync(await http.PostRawAsync("/v3/images/generate", ""), 400, "bad_request");
        await ErrorAsync(await http.PostRawAsync("/v3/images/generate-async", ""), 400, "empty_input_body");
        await ErrorAsync(await http.PostRawAsync("/v3/images/generate", FireflyKit.Cat, "text/plain"), 415, "invalid_content_type");
        await ErrorAsync(await http.PostRawAsync("/v3/images/generate", "prompt=x", "application/x-www-form-urlencoded"), 415, "invalid_content_type");
        await ErrorAsync(await http.PostRawAsync("/v3/images/generate-async", FireflyKit.Cat, "text/plain"), 415, "invalid_content_type");
    }

    [Fact]
    public async Task Field_rules_give_422_with_loc_msg_type_and_ctx()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        Task<HttpResponseMessage> Post(string body, string op = "generate") => http.PostRawAsync("/v3/images/" + op, body);

        await ValidationAsync(await Post("{}"), "body", "prompt");
        await ValidationAsync(await Post("[1,2]"), "body");
        await ValidationAsync(await Post("""{"prompt":""}"""), "body", "prompt");
        await ValidationAsync(await Post(JsonSerializer.Serialize(new { prompt = new string('a', 1025) })), "body", "prompt");
        await ValidationAsync(await Post("""{"prompt":"x","size":{"width":1000,"height":1000}}"""), "body", "size");
        await ValidationAsync(await Post("""{"prompt":"x","size":{"width":2048}}"""), "body", "size", "height");
        await ValidationAsync(await Post("""{"prompt":"x","size":{"width":"abc","height":2048}}"""), "body", "size", "width");
        await ValidationAsync(await Post("""{"prompt":"x","size":{"width":1440,"height":2560}}"""), "body", "size"); // image4 only, and async only
        var cls = await ValidationAsync(await Post("""{"prompt":"x","contentClass":"painting"}"""), "body", "contentClass");
        Assert.Equal("type_error.enum", cls.GetProperty("type").GetString());
        Assert.Equal(["photo", "art"], cls.GetProperty("ctx").GetProperty("enum_values").EnumerateArray().Select(x => x.GetString()));
        await ValidationAsync(await Post("""{"prompt":"x","numVariations":5}"""), "body", "numVariations");
        await ValidationAsync(await Post("""{"prompt":"x","numVariations":0}"""), "body", "numVariations");
        await ValidationAsync(await Post("""{"prompt":"x","seeds":[1,1]}"""), "body", "seeds");
        await ValidationAsync(await Post("""{"prompt":"x","seeds":[1,2,3,4,5]}"""), "body", "seeds");
        await ValidationAsync(await Post("""{"prompt":"x","seeds":[]}"""), "body", "seeds");
        await ValidationAsync(await Post("""{"prompt":"x","seeds":[1,"x"]}"""), "body", "seeds", "1");
        await ValidationAsync(await Post("""{"prompt":"x","seeds":[1,2],"numVariations":3}"""), "body", "numVariations");
        await ValidationAsync(await Post("""{"prompt":"x","visualIntensity":11}"""), "body", "visualIntensity");
        await ValidationAsync(await Post("""{"prompt":"x","style":{"strength":0}}"""), "body", "style", "strength");
        await ValidationAsync(await Post("""{"prompt":"x","style":{"presets":["a","a"]}}"""), "body", "style", "presets");
        await ValidationAsync(await Post("""{"prompt":"x","promptBiasingLocaleCode":"english"}"""), "body", "promptBiasingLocaleCode");
        await ValidationAsync(await Post("""{"prompt":"x","negativePrompt":5}"""), "body", "negativePrompt");

        await ValidationAsync(await Post("""{"prompt":"x"}""", "generate-similar"), "body", "image");
        await ValidationAsync(await Post("""{"image":{"source":{}}}""", "generate-similar"), "body", "image", "source");
        await ValidationAsync(await Post("""{"image":{"source":{"url":"https://x.amazonaws.com/a.png","uploadId":"3c1b6c5e-0a43-4d6e-9a3c-1f2e3d4c5b6a"}}}""", "generate-similar"), "body", "image", "source");
        await ValidationAsync(await Post("""{"image":{"source":{"uploadId":"not-a-uuid"}}}""", "generate-similar"), "body", "image", "source", "uploadId");
        await ValidationAsync(await Post("""{"image":{"source":{"url":"ftp://x/y"}}}""", "generate-similar"), "body", "image", "source", "url");
        await ValidationAsync(await Post("""{"image":{"source":{"uploadId":"3c1b6c5e-0a43-4d6e-9a3c-1f2e3d4c5b6a"}}}""", "generate-similar"), "body", "image", "source", "uploadId");
        await ValidationAsync(await Post("""{"image":{"source":{"uploadId":"3c1b6c5e-0a43-4d6e-9a3c-1f2e3d4c5b6a"}}}""", "fill"), "body", "image", "mask");
        await ValidationAsync(await Post("""{"image":{"source":{"uploadId":"3c1b6c5e-0a43-4d6e-9a3c-1f2e3d4c5b6a"},"mask":{"source":{"uploadId":"3c1b6c5e-0a43-4d6e-9a3c-1f2e3d4c5b6b"}}},"placement":{"alignment":{"horizontal":"left"}}}""", "expand"), "body", "placement");
        await ValidationAsync(await Post("""{"image":{"source":{"uploadId":"3c1b6c5e-0a43-4d6e-9a3c-1f2e3d4c5b6a"}},"placement":{"alignment":{"horizontal":"middle"}}}""", "expand"), "body", "placement", "alignment", "horizontal");
        await ValidationAsync(await Post("""{"image":{"source":{"uploadId":"3c1b6c5e-0a43-4d6e-9a3c-1f2e3d4c5b6a"}}}""", "fill-async"), "body", "mask");
        await ValidationAsync(await Post("""{"prompt":"x","size":{"width":4000,"height":2000}}""", "expand-async"), "body", "size", "width");
    }

    [Fact]
    public async Task Async_sizes_follow_the_model_version_and_numeric_strings_are_accepted()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        async Task<HttpResponseMessage> Post(string body, string? model)
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, "/v3/images/generate-async") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
            if (model is not null) req.Headers.Add("x-model-version", model);
            return await http.SendAsync(req);
        }
        await ValidationAsync(await Post("""{"prompt":"x","size":{"width":1440,"height":2560}}""", "image3"), "body", "size");
        await HttpAssert.JsonAsync(await Post("""{"prompt":"x","size":{"width":"1440","height":"2560"}}""", "image4_standard"), 202);
        await ValidationAsync(await Post("""{"prompt":"x","size":{"width":1344,"height":756}}""", "image4_ultra"), "body", "size");
        await HttpAssert.JsonAsync(await Post("""{"prompt":"x","size":{"width":1344,"height":756}}""", null), 202);
        await ValidationAsync(await Post("""{"prompt":"x"}""", "image9"), "header", "x-model-version");
        await ValidationAsync(await Post("""{"prompt":"x"}""", "image4_custom"), "body", "customModelId");
    }

    [Fact]
    public async Task Missing_scope_is_403_access_error_and_auth_failures_use_the_gateway_codes()
    {
        var demo = _kiln.Start();
        using var noScope = _kiln.Authed(await _kiln.DemoTokenAsync("openid,AdobeID,read_organizations"), demo.ClientId);
        foreach (var path in new[] { "/v3/images/generate", "/v3/images/fill-async", "/v2/storage/image" })
        {
            using var res = await noScope.PostRawAsync(path, FireflyKit.Cat);
            await ErrorAsync(res, 403, "access_error");
            Assert.Equal("invalid_ims_scope", res.Headers.GetValues("x-access-error").Single());
        }
        await ErrorAsync(await noScope.GetAsync("/v3/status/urn:ff:jobs:kiln:00000000-0000-4000-8000-000000000000"), 403, "access_error");
        using var anonymous = _kiln.Http();
        await ErrorAsync(await anonymous.PostRawAsync("/v3/images/generate", FireflyKit.Cat), 401, "401013");
    }

    [Fact]
    public async Task Unknown_job_is_404_unknown_job_id_for_status_and_cancel()
    {
        _kiln.Start();
        using var http = await _kiln.DemoClientAsync();
        await ErrorAsync(await http.GetAsync("/v3/status/urn:ff:jobs:kiln:00000000-0000-4000-8000-000000000000"), 404, "unknown_job_id");
        await ErrorAsync(await http.GetAsync("/v3/status/urn%3Aff%3Ajobs%3Akiln%3A00000000-0000-4000-8000-000000000000"), 404, "unknown_job_id");
        await ErrorAsync(await http.PutAsync("/v3/cancel/urn:ff:jobs:kiln:00000000-0000-4000-8000-000000000000", null), 404, "unknown_job_id");
        await ErrorAsync(await http.GetAsync("/v3/status/garbage"), 404, "unknown_job_id");
    }
}
