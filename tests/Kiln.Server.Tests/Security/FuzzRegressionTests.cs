using System.Text;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Security;

/// <summary>The defects the fuzzers found, each pinned as a fixed case (the replay line that found it is in the comment).</summary>
public sealed class FuzzRegressionTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private static ByteArrayContent Raw(string body, string contentType)
    {
        var c = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        c.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return c;
    }

    /// <summary>KILN_FUZZ_SEED=1234 endpoints-Credential 161: validate_token read a multipart body whose boundary is unusable: 500.</summary>
    [Fact]
    public async Task Ims_post_with_an_unusable_multipart_boundary_is_an_oauth_400_or_200()
    {
        _kiln.Start();
        foreach (var path in new[] { "/ims/validate_token/v1", "/ims/invalidate_token/v2", "/ims/token/v3" })
        {
            using var res = await _kiln.Http().PostAsync(path, Raw("{\"a\":1}", "multipart/form-data; boundary=\"unterminated"));
            Assert.True((int)res.StatusCode is 200 or 400, $"{path}: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
            Assert.Equal("application/json", res.Content.Headers.ContentType?.MediaType);
        }
    }

    /// <summary>KILN_FUZZ_SEED=1234 endpoints-Credential: a lone surrogate escape parsed, then threw when a validator read it: 500.</summary>
    [Theory]
    [InlineData("/v3/images/generate", """{"prompt":"\ud800"}""")]
    [InlineData("/v3/images/generate-async", """{"prompt":"a cat","contentClass":"\uDFFF\uD800"}""")]
    [InlineData("/v3/images/generate", """{"prompt":"a cat","\ud800":1}""")]
    public async Task Json_with_a_lone_surrogate_escape_is_a_firefly_400(string path, string body)
    {
        _kiln.Start();
        using var c = await _kiln.DemoClientAsync();
        await HttpAssert.GatewayErrorAsync(await c.PostAsync(path, Raw(body, "application/json")), 400, "bad_request");
    }

    [Fact]
    public async Task Async_multipart_request_part_with_a_lone_surrogate_or_duplicate_keys_is_a_firefly_400()
    {
        _kiln.Start();
        using var c = await _kiln.DemoClientAsync();
        foreach (var json in new[] { """{"prompt":"\ud800"}""", """{"prompt":"a","prompt":"b"}""" })
        {
            using var form = new MultipartFormDataContent("kiln")
            {
                { new StringContent(json), "request" },
                { new ByteArrayContent(FireflyKit.Image(64, 64)) { Headers = { ContentType = new("image/png") } }, "files", "a.png" },
            };
            await HttpAssert.GatewayErrorAsync(await c.PostAsync("/v3/images/generate-async", form), 400, "bad_request");
        }
    }

    /// <summary>KILN_FUZZ_SEED=1234 endpoints-Credential 41: an unknown OpenAPI document name was a text/plain 404.</summary>
    [Fact]
    public async Task Unknown_openapi_document_is_a_json_404()
    {
        _kiln.Start();
        await HttpAssert.GatewayErrorAsync(await _kiln.Http().GetAsync("/openapi/caf%C3%A9.json"), 404, "not_found");
        await HttpAssert.JsonAsync(await _kiln.Http().GetAsync("/openapi/v1.json"), 200);
    }

    /// <summary>KILN_FUZZ_SEED=1234 endpoints-Anonymous 52: sign-out with a form the anti-forgery check could not read: 500.</summary>
    [Theory]
    [InlineData("templateId=%C3%28%FF%00&&roles=%22-Infinity%22", "application/x-www-form-urlencoded")]
    [InlineData("--kiln\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb", "multipart/form-data; boundary=kiln")]
    [InlineData("x", "multipart/form-data; boundary=\"unterminated")]
    public async Task Sign_out_with_an_unreadable_form_is_a_400(string body, string contentType)
    {
        _kiln.Start();
        using var res = await _kiln.Http().PostAsync("/console/logout", Raw(body, contentType));
        Assert.Equal(400, (int)res.StatusCode);
    }
}
