using System.Net.Http.Headers;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Faults;

/// <summary>Requests and assertions shared by the outage tests.</summary>
public static class Outage
{
    /// <summary>
    /// Asserts a 503 with Retry-After in the gateway shape <c>{"error_code","message"}</c>: <c>model_not_loaded</c> on
    /// Firefly's sync calls and uploads (the contract's only 503 code there), <c>runtime_error</c> on its async
    /// submit/status/cancel (the async enum has no other fit), <c>service_unavailable</c> on Kiln's own routes.
    /// </summary>
    public static async Task GatewayAsync(HttpResponseMessage res, string what)
    {
        var body = await res.Content.ReadAsStringAsync();
        Assert.True((int)res.StatusCode == 503, $"{what}: expected 503, got {(int)res.StatusCode}: {body}");
        Assert.True(res.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, $"{what}: 503 without Retry-After");
        Assert.StartsWith("application/json", res.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        var json = JsonDocument.Parse(body).RootElement;
        var path = res.RequestMessage?.RequestUri?.AbsolutePath ?? "";
        var expected = path.StartsWith("/v2/", StringComparison.Ordinal) || (path.StartsWith("/v3/images/", StringComparison.Ordinal) && !path.EndsWith("-async", StringComparison.Ordinal))
            ? "model_not_loaded"
            : path.StartsWith("/v3/", StringComparison.Ordinal) ? "runtime_error" : "service_unavailable";
        Assert.True(expected == json.GetProperty("error_code").GetString(), $"{what}: expected error_code {expected} for {path}: {body}");
        Assert.False(string.IsNullOrEmpty(json.GetProperty("message").GetString()));
    }

    /// <summary>Asserts a 503 with Retry-After in the OAuth shape <c>{"error":"temporarily_unavailable","error_description"}</c>.</summary>
    public static async Task OAuthAsync(HttpResponseMessage res, string what)
    {
        var body = await res.Content.ReadAsStringAsync();
        Assert.True((int)res.StatusCode == 503, $"{what}: expected 503, got {(int)res.StatusCode}: {body}");
        Assert.True(res.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, $"{what}: 503 without Retry-After");
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("temporarily_unavailable", json.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("error_description").GetString()));
        Assert.True(res.Headers.CacheControl?.NoStore == true, $"{what}: no Cache-Control: no-store");
    }

    /// <summary>Mints a token for the demo credential through <paramref name="anon"/> and returns a client that sends it like the seed.</summary>
    public static async Task<HttpClient> AuthedAsync(KilnProcess node, HttpClient anon, Kiln.Server.Hosting.DemoCredential demo)
    {
        using var res = await TokenAsync(anon, demo.ClientId, demo.ClientSecret);
        var token = (await HttpAssert.JsonAsync(res, 200)).GetProperty("access_token").GetString()!;
        return Http(node, token, demo.ClientId);
    }

    public static HttpClient Http(KilnProcess node, string? token = null, string? apiKey = null)
    {
        var c = new HttpClient { BaseAddress = new Uri(node.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (apiKey is not null) c.DefaultRequestHeaders.Add("x-api-key", apiKey);
        return c;
    }

    public static Task<HttpResponseMessage> TokenAsync(HttpClient http, string clientId, string secret) =>
        http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = Scopes,
        }));

    public const string Scopes = "AdobeID,openid,read_organizations,adobeio_api,read_client_secret,manage_client_secrets,firefly_api,ff_apis";

    public static StringContent Generate(int seed) =>
        new($$"""{"prompt":"a lighthouse at dusk","size":{"width":1024,"height":1024},"seeds":[{{seed}}]}""", System.Text.Encoding.UTF8, "application/json");

    /// <summary>Retries <paramref name="send"/> until it answers <paramref name="status"/> (the fault has cleared) or the time is up.</summary>
    public static async Task<HttpResponseMessage> UntilAsync(Func<Task<HttpResponseMessage>> send, int status, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            HttpResponseMessage? res = null;
            try { res = await send(); }
            catch (HttpRequestException) { }
            if (res is not null && (int)res.StatusCode == status) return res;
            var last = res is null ? "no answer" : $"{(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}";
            res?.Dispose();
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not recover to {status}: last answer {last}");
            await Task.Delay(250);
        }
    }
}
