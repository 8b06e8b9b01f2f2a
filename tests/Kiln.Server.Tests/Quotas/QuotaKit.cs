using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Quotas;

/// <summary>Helpers for quota tests: an org admin's client, setting limits and reading usage over the Console REST API.</summary>
public static class QuotaKit
{
    public static string Body(int images) =>
        """{"prompt":"a cat","numVariations":""" + images.ToString(CultureInfo.InvariantCulture) + ""","size":{"width":1024,"height":1024}}""";

    public static async Task<HttpClient> AdminAsync(this KilnFactory kiln)
    {
        var id = await kiln.CreateUserAsync($"admin-{Guid.NewGuid():N}@example.com", kiln.DemoOrg(), "admin");
        return await kiln.UserClientAsync(id, kiln.DemoOrg());
    }

    /// <summary>PUTs limits at <c>/console/organizations/{org}{path}/quotas</c> ("" for the org, "/projects/1", "/credentials/2").</summary>
    public static async Task<JsonElement> SetQuotaAsync(this HttpClient admin, string orgId, string path, object limits) =>
        await HttpAssert.JsonAsync(await admin.PutAsync($"/console/organizations/{orgId}{path}/quotas", JsonContent.Create(limits)), 200);

    public static async Task<JsonElement> UsageAsync(this HttpClient c, string orgId, string query = "") =>
        await HttpAssert.JsonAsync(await c.GetAsync($"/console/organizations/{orgId}/usage{query}"), 200);

    public static long Long(this JsonElement e, params string[] path)
    {
        foreach (var p in path) e = e.GetProperty(p);
        return e.GetInt64();
    }

    public static int RetryAfter(HttpResponseMessage res) => int.Parse(res.Headers.GetValues("retry-after").Single(), CultureInfo.InvariantCulture);

    /// <summary>Asserts the Firefly 429 of a full quota and returns its Retry-After.</summary>
    public static async Task<int> AssertQuota429Async(HttpResponseMessage res)
    {
        var err = await HttpAssert.JsonAsync(res, 429);
        Assert.Equal("rate_limited", err.GetProperty("error_code").GetString());
        Assert.Contains("quota", err.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        return RetryAfter(res);
    }

    public static Task<HttpResponseMessage> GenerateAsync(this HttpClient c, int images, bool async = false) =>
        c.PostRawAsync(async ? "/v3/images/generate-async" : "/v3/images/generate", Body(images));
}
