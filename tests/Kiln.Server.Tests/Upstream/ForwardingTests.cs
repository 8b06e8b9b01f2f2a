using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Tests.Upstream;

/// <summary>Kiln A forwards every Firefly operation, sync and async, to Kiln B (docs/upstream.md#what-is-forwarded).</summary>
public sealed class ForwardingTests
{
    private static readonly byte[] Photo = FireflyKit.Image(1024, 1024);
    private static readonly byte[] BigMask = FireflyKit.Mask(1024, 1024, new SkiaSharp.SKRectI(200, 200, 800, 800));

    private static string Body(string op, string uploadId, string maskId, bool isAsync) => op switch
    {
        "generate" => """{"prompt":"a lighthouse at dusk","seeds":[11,22],"size":{"width":1024,"height":1024},"contentClass":"photo"}""",
        "generate-similar" => $$$"""{"image":{"source":{"uploadId":"{{{uploadId}}}"}},"seeds":[7],"size":{"width":1024,"height":1024}}""",
        "expand" => $$$"""{"image":{"source":{"uploadId":"{{{uploadId}}}"}},"seeds":[8],"size":{"width":2048,"height":2048}}""",
        "fill" => isAsync
            ? $$$"""{"image":{"source":{"uploadId":"{{{uploadId}}}"}},"mask":{"source":{"uploadId":"{{{maskId}}}"}},"seeds":[9],"size":{"width":1024,"height":1024}}"""
            : """{"image":{"source":{"uploadId":"U"},"mask":{"source":{"uploadId":"M"}}},"seeds":[9]}""".Replace("\"U\"", $"\"{uploadId}\"", StringComparison.Ordinal).Replace("\"M\"", $"\"{maskId}\"", StringComparison.Ordinal),
        _ => $$$"""{"prompt":"a teapot","image":{"source":{"uploadId":"{{{uploadId}}}"}},"seeds":[10],"size":{"width":1024,"height":1024}}""",
    };

    [Fact]
    public async Task Every_operation_sync_and_async_runs_on_B_and_is_served_from_A()
    {
        await using var pair = await UpstreamPair.StartAsync();
        var a = pair.Firefly;
        using var b = await pair.BClientAsync();
        var upload = await FireflyKit.UploadAsync(a, Photo);
        var mask = await FireflyKit.UploadAsync(a, BigMask);
        var bUpload = await FireflyKit.UploadAsync(b, Photo);
        var bMask = await FireflyKit.UploadAsync(b, BigMask);
        foreach (var op in new[] { "generate", "generate-similar", "expand", "fill", "generate-object-composite" })
        {
            // Sync: A's answer has A's URLs, and its images are the very bytes B renders for the same request.
            var viaA = await a.GenerateOkAsync("/v3/images/" + op, Body(op, upload, mask, false));
            var direct = await b.GenerateOkAsync("/v3/images/" + op, Body(op, bUpload, bMask, false));
            await AssertSameOutputsAsync(pair, op, viaA, direct);

            // Async: one job on B per job on A; A's result is B's, served from A.
            using var res = await a.PostRawAsync($"/v3/images/{op}-async", Body(op, upload, mask, true));
            var accepted = await HttpAssert.JsonAsync(res, 202);
            var done = await FireflyKit.PollAsync(a, accepted.GetProperty("statusUrl").GetString()!);
            Assert.True(done.GetProperty("status").GetString() == "succeeded", $"{op}-async: {done}");
            var upstream = await pair.A.WithDbAsync((db, _) => db.Jobs.Where(j => j.Id == accepted.GetProperty("jobId").GetString()).Select(j => j.Upstream).SingleAsync());
            var bJob = JsonDocument.Parse(upstream!).RootElement.GetProperty("JobId").GetString()!;
            var onB = await FireflyKit.PollAsync(b, $"{pair.B.BaseUrl}/v3/status/{bJob}");
            Assert.Equal("succeeded", onB.GetProperty("status").GetString());
            await AssertSameOutputsAsync(pair, op + "-async", done.GetProperty("result"), onB.GetProperty("result"));
        }
    }

    private static async Task AssertSameOutputsAsync(UpstreamPair pair, string what, JsonElement viaA, JsonElement fromB)
    {
        var mine = viaA.GetProperty("outputs").EnumerateArray().ToList();
        var theirs = fromB.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(theirs.Count, mine.Count);
        Assert.Equal(fromB.GetProperty("size").ToString(), viaA.GetProperty("size").ToString());
        for (var i = 0; i < mine.Count; i++)
        {
            Assert.Equal(theirs[i].GetProperty("seed").GetInt32(), mine[i].GetProperty("seed").GetInt32());
            var url = mine[i].GetProperty("image").GetProperty("url").GetString()!;
            Assert.True(url.StartsWith(pair.A.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal) || TestStorage.IsS3, $"{what}: {url} is not A's");
            Assert.DoesNotContain(pair.B.BaseUrl, url, StringComparison.Ordinal);
            Assert.Equal(await FireflyKit.DownloadAsync(theirs[i].GetProperty("image").GetProperty("url").GetString()!), await FireflyKit.DownloadAsync(url));
        }
    }

    [Fact]
    public async Task Upstream_validation_errors_reach_the_client_unchanged_and_429_keeps_its_Retry_After()
    {
        await using var pair = await UpstreamPair.StartAsync(new() { ["Kiln__Firefly__RateLimit__PerMinute"] = "3" });
        var a = pair.Firefly;
        using var b = await pair.BClientAsync();
        // A small fill mask passes A's validation and is refused by B while rendering: 422 validation_error, as B wrote it.
        var small = FireflyKit.Mask(300, 300, new SkiaSharp.SKRectI(10, 10, 200, 200));
        var viaA = await a.PostRawAsync("/v3/images/fill", Body("fill", await FireflyKit.UploadAsync(a, Photo), await FireflyKit.UploadAsync(a, small), false));
        var direct = await b.PostRawAsync("/v3/images/fill", Body("fill", await FireflyKit.UploadAsync(b, Photo), await FireflyKit.UploadAsync(b, small), false));
        Assert.Equal(422, (int)direct.StatusCode);
        Assert.Equal(422, (int)viaA.StatusCode);
        Assert.Equal(await direct.Content.ReadAsStringAsync(), await viaA.Content.ReadAsStringAsync());

        // B's org allows 3 image requests a minute (the two uploads above do not count; the fill did): the limit's 429
        // reaches A's client with B's Retry-After.
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 5 && limited is null; i++)
        {
            var res = await a.PostRawAsync("/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024}}""");
            if ((int)res.StatusCode == 429) limited = res;
            else Assert.Equal(200, (int)res.StatusCode);
        }
        Assert.NotNull(limited);
        Assert.Equal("rate_limited", (await HttpAssert.JsonAsync(limited, 429)).GetProperty("error_code").GetString());
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 without Retry-After");
        // A's usage counts the upstream's 429 apart from its own quota refusals (docs/firefly.md#quotas-and-usage).
        var usage = await HttpAssert.JsonAsync(await pair.Admin.GetAsync(pair.OrgPath + "/usage"), 200);
        Assert.Equal(1, usage.GetProperty("totals").GetProperty("upstream_rate_limited").GetInt64());
        Assert.Equal(0, usage.GetProperty("totals").GetProperty("quota_refusals").GetInt64());
    }

    [Fact]
    public async Task B_down_answers_503_with_Retry_After_and_async_jobs_finish_once_B_is_back()
    {
        await using var pair = await UpstreamPair.StartAsync(configureA: a => a.With("Kiln:Upstream:JobRetryLimit", "60"));
        var a = pair.Firefly;
        await a.GenerateOkAsync("/v3/images/generate", """{"prompt":"warm up","size":{"width":1024,"height":1024}}""");
        pair.B.Kill();

        using var down = await a.PostRawAsync("/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024}}""");
        var error = await HttpAssert.JsonAsync(down, 503);
        Assert.Contains("'b'", error.GetProperty("message").GetString());
        Assert.True(down.Headers.RetryAfter?.Delta > TimeSpan.Zero, "503 without Retry-After");

        var statusUrls = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            using var res = await a.PostRawAsync("/v3/images/generate-async", $$$"""{"prompt":"x","seeds":[{{{40 + i}}}],"size":{"width":1024,"height":1024}}""");
            statusUrls.Add((await HttpAssert.JsonAsync(res, 202)).GetProperty("statusUrl").GetString()!);
        }
        await Task.Delay(2000);
        foreach (var url in statusUrls) Assert.NotEqual("failed", (await HttpAssert.JsonAsync(await a.GetAsync(url), 200)).GetProperty("status").GetString());
        await pair.RestartBAsync();
        foreach (var url in statusUrls)
        {
            var done = await FireflyKit.PollAsync(a, url, seconds: 90);
            Assert.True(done.GetProperty("status").GetString() == "succeeded", done.ToString());
        }
    }

    [Fact]
    public async Task A_job_gives_up_after_its_retry_limit_with_a_clear_message()
    {
        await using var pair = await UpstreamPair.StartAsync(configureA: a => a.With("Kiln:Upstream:JobRetryLimit", "2"));
        pair.B.Kill();
        using var res = await pair.Firefly.PostRawAsync("/v3/images/generate-async", """{"prompt":"x","size":{"width":1024,"height":1024}}""");
        var done = await FireflyKit.PollAsync(pair.Firefly, (await HttpAssert.JsonAsync(res, 202)).GetProperty("statusUrl").GetString()!);
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Contains("gave up", done.GetProperty("message").GetString());
        Assert.Contains("'b'", done.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_deleted_upstream_secret_gives_a_clear_error_in_the_response_the_job_the_log_and_the_test()
    {
        await using var pair = await UpstreamPair.StartAsync();
        using var bConsole = await pair.BClientAsync(KilnFactory.IoScopes);
        var secrets = $"/console/organizations/{pair.BDemo.OrgId}/credentials/{pair.BDemo.CredentialId}/secrets";
        var added = await HttpAssert.JsonAsync(await bConsole.PostAsync(secrets, null), 201);
        await HttpAssert.JsonAsync(await pair.Admin.PostAsJsonAsync(pair.OrgPath + "/upstreams?replace=true", pair.Profile(added.GetProperty("client_secret").GetString()!)), 201);
        await pair.Firefly.GenerateOkAsync("/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024}}""");

        Assert.Equal(204, (int)(await bConsole.DeleteAsync(secrets + "/" + added.GetProperty("uuid").GetString())).StatusCode);

        using var sync = await pair.Firefly.PostRawAsync("/v3/images/generate", """{"prompt":"x","size":{"width":1024,"height":1024}}""");
        var message = (await HttpAssert.JsonAsync(sync, 503)).GetProperty("message").GetString()!;
        Assert.Contains("invalid_client", message);
        Assert.Contains("revoked", message);

        using var submit = await pair.Firefly.PostRawAsync("/v3/images/generate-async", """{"prompt":"x","size":{"width":1024,"height":1024}}""");
        var job = await FireflyKit.PollAsync(pair.Firefly, (await HttpAssert.JsonAsync(submit, 202)).GetProperty("statusUrl").GetString()!, seconds: 30);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        Assert.Contains("invalid_client", job.GetProperty("message").GetString());

        var test = await HttpAssert.JsonAsync(await pair.Admin.PostAsync(pair.OrgPath + "/upstreams/b/test", null), 200);
        Assert.False(test.GetProperty("ok").GetBoolean());
        Assert.Contains("invalid_client", test.GetProperty("checks")[0].GetProperty("message").GetString());
        Assert.Contains(pair.A.Logs.Lines, l => l.Contains("invalid_client", StringComparison.Ordinal) && l.Contains("revoked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upstream_test_says_ok_for_a_good_profile_and_names_the_host_it_cannot_reach()
    {
        await using var pair = await UpstreamPair.StartAsync();
        var ok = await HttpAssert.JsonAsync(await pair.Admin.PostAsync(pair.OrgPath + "/upstreams/b/test", null), 200);
        Assert.True(ok.GetProperty("ok").GetBoolean(), ok.ToString());
        Assert.Equal(3, ok.GetProperty("checks").GetArrayLength()); // token, firefly, rotation
        pair.B.Kill();
        var down = await HttpAssert.JsonAsync(await pair.Admin.PostAsync(pair.OrgPath + "/upstreams/b/test", null), 200);
        Assert.False(down.GetProperty("ok").GetBoolean());
        Assert.Contains("could not be reached", down.GetProperty("checks")[0].GetProperty("message").GetString());
        Assert.Contains(pair.B.BaseUrl, down.GetProperty("checks")[0].GetProperty("message").GetString());
    }
}
