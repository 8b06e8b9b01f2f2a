using System.Net.Http.Headers;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Kiln.Server.Hosting;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>Helpers for tests that run several `kiln serve` processes on one database and one bucket.</summary>
public static class NodeKit
{
    /// <summary>The environment of a node that stores blobs in <paramref name="bucket"/> (a Kiln:Storage value).</summary>
    public static Dictionary<string, string> S3Env(string bucket, params (string Key, string Value)[] more)
    {
        var env = new Dictionary<string, string>
        {
            ["Kiln__Storage"] = bucket,
            ["Kiln__S3__AccessKeyId"] = TestStorage.AccessKey,
            ["Kiln__S3__SecretAccessKey"] = TestStorage.SecretKey,
        };
        foreach (var (k, v) in more) env[k] = v;
        return env;
    }

    public static HttpClient Http(KilnProcess node) => new() { BaseAddress = new Uri(node.BaseUrl) };

    public static async Task<HttpResponseMessage> TokenResponseAsync(KilnProcess node, string clientId, string secret, string? scope = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };
        if (scope is not null) form["scope"] = scope;
        using var http = Http(node);
        return await http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(form));
    }

    public static async Task<string> TokenAsync(KilnProcess node, string clientId, string secret, string? scope = null)
    {
        using var res = await TokenResponseAsync(node, clientId, secret, scope);
        return (await HttpAssert.JsonAsync(res, 200)).GetProperty("access_token").GetString()!;
    }

    public static HttpClient Authed(KilnProcess node, string token, string clientId)
    {
        var c = Http(node);
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        c.DefaultRequestHeaders.Add("x-api-key", clientId);
        return c;
    }

    public static async Task<DemoCredential> DemoAsync(string dataDir) => (await Bootstrap.ReadFileAsync(dataDir, default))!;

    /// <summary>Submits an async generate job; returns its id and status URL path.</summary>
    public static async Task<(string JobId, string StatusPath, string CancelPath)> SubmitAsync(HttpClient http, int seed)
    {
        var body = $$"""{"prompt":"a lighthouse at dusk","size":{"width":1024,"height":1024},"seeds":[{{seed}}]}""";
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var res = await http.PostAsync("/v3/images/generate-async", content);
        var json = await HttpAssert.JsonAsync(res, 202);
        return (json.GetProperty("jobId").GetString()!, new Uri(json.GetProperty("statusUrl").GetString()!).PathAndQuery,
            new Uri(json.GetProperty("cancelUrl").GetString()!).PathAndQuery);
    }

    public static async Task<JsonElement> StatusAsync(HttpClient http, string statusPath)
    {
        using var res = await http.GetAsync(statusPath);
        return await HttpAssert.JsonAsync(res, 200);
    }

    /// <summary>Every object key in the bucket of a Kiln:Storage value <c>s3://bucket?...</c>.</summary>
    public static async Task<List<string>> ListBucketAsync(string storage, string prefix)
    {
        var bucket = new Uri(storage).Host;
        using var s3 = new AmazonS3Client(new BasicAWSCredentials(TestStorage.AccessKey, TestStorage.SecretKey),
            new AmazonS3Config { ServiceURL = TestStorage.Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, ContinuationToken = token });
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        return keys;
    }
}
