using System.Net.Http.Headers;
using System.Text;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Ims;

/// <summary>Every request encoding of docs/identity.md#token-requests mints a token with the exact success body of docs/identity.md#token-response.</summary>
public sealed class TokenRequestEncodingTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private static async Task AssertTokenResponseAsync(HttpResponseMessage res)
    {
        var json = await HttpAssert.JsonAsync(res, 200);
        Assert.Equal(["access_token", "expires_in", "token_type"], json.EnumerateObject().Select(p => p.Name).Order().ToArray());
        Assert.Equal("bearer", json.GetProperty("token_type").GetString());
        Assert.Equal(86399, json.GetProperty("expires_in").GetInt32());
        Assert.Equal(3, json.GetProperty("access_token").GetString()!.Split('.').Length);
        Assert.Equal("no-store", res.Headers.CacheControl!.ToString());
        Assert.Contains("no-cache", res.Headers.Pragma.ToString());
    }

    [Fact]
    public async Task Seed_curl_with_data_urlencode_mints_a_token()
    {
        var demo = _kiln.Start();
        var res = await _kiln.Http().PostFormAsync("/ims/token/v3",
            ("grant_type", "client_credentials"), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret),
            ("scope", KilnFactory.FireflyScopes));
        await AssertTokenResponseAsync(res);
    }

    [Fact]
    public async Task Unencoded_sdk_body_with_spaces_in_scope_is_accepted()
    {
        var demo = _kiln.Start();
        // FF-SDK concatenates without encoding: raw commas and a raw space after the comma.
        var body = $"grant_type=client_credentials&client_id={demo.ClientId}&client_secret={demo.ClientSecret}&scope=firefly_api, ff_apis";
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        await AssertTokenResponseAsync(await _kiln.Http().PostAsync("/ims/token/v3", content));
    }

    [Fact]
    public async Task Multipart_form_data_is_accepted_like_aio_lib_ims_sends_it()
    {
        var demo = _kiln.Start();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("client_credentials"), "grant_type" },
            { new StringContent(demo.ClientId), "client_id" },
            { new StringContent(demo.ClientSecret), "client_secret" },
            { new StringContent("openid,AdobeID,firefly_api"), "scope" },
        };
        await AssertTokenResponseAsync(await _kiln.Http().PostAsync("/ims/token/v3", form));
    }

    [Fact]
    public async Task Client_id_in_query_string_is_merged_with_the_body()
    {
        var demo = _kiln.Start();
        var res = await _kiln.Http().PostFormAsync($"/ims/token/v3?client_id={demo.ClientId}",
            ("grant_type", "client_credentials"), ("client_secret", demo.ClientSecret));
        await AssertTokenResponseAsync(res);
    }

    [Fact]
    public async Task Http_basic_client_authentication_is_accepted()
    {
        var demo = _kiln.Start();
        var http = _kiln.Http();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{demo.ClientId}:{demo.ClientSecret}")));
        await AssertTokenResponseAsync(await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials")));
    }

    [Fact]
    public async Task Curl_d_without_content_type_is_read_as_a_form()
    {
        var demo = _kiln.Start();
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes($"grant_type=client_credentials&client_id={demo.ClientId}&client_secret={demo.ClientSecret}"));
        await AssertTokenResponseAsync(await _kiln.Http().PostAsync("/ims/token/v3", content));
    }

    [Theory]
    [InlineData("v2")]
    [InlineData("v3")]
    [InlineData("v4")]
    public async Task All_token_versions_share_the_semantics(string version)
    {
        var demo = _kiln.Start();
        var res = await _kiln.Http().PostFormAsync($"/ims/token/{version}",
            ("grant_type", "client_credentials"), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret));
        await AssertTokenResponseAsync(res);
    }

    [Fact]
    public async Task V2_checks_org_id_and_v3_ignores_it()
    {
        var demo = _kiln.Start();
        (string, string)[] Form(string org) => [("grant_type", "client_credentials"), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret), ("org_id", org)];
        await AssertTokenResponseAsync(await _kiln.Http().PostFormAsync("/ims/token/v2", Form(demo.OrgCode)));
        await HttpAssert.OAuthErrorAsync(await _kiln.Http().PostFormAsync("/ims/token/v2", Form("000000000000000000000000@KilnOrg")), 400, "invalid_request", "invalid org_id parameter");
        await AssertTokenResponseAsync(await _kiln.Http().PostFormAsync("/ims/token/v3", Form("000000000000000000000000@KilnOrg")));
    }
}
