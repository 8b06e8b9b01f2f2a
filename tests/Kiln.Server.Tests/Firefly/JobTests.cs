using System.Net;
using Kiln.Server.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Firefly;

/// <summary>Async jobs (docs/firefly.md#async-jobs): status to each terminal state, progress, cancel, org scoping.</summary>
public sealed class JobTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private async Task<(HttpClient Http, string StatusUrl, string CancelUrl, string JobId)> SubmitAsync(string body, string op = "generate")
    {
        var http = await _kiln.DemoClientAsync();
        using var res = await http.PostRawAsync($"/v3/images/{op}-async", body);
        var json = await HttpAssert.JsonAsync(res, 202);
        return (http, json.GetProperty("statusUrl").GetString()!, json.GetProperty("cancelUrl").GetString()!, json.GetProperty("jobId").GetString()!);
    }

    [Fact]
    public async Task Running_job_reports_progress_then_succeeds_and_the_encoded_urn_works()
    {
        _kiln.WithSlowGenerator(1500).Start();
        var (http, statusUrl, _, jobId) = await SubmitAsync("""{"prompt":"x","numVariations":2,"size":{"width":1024,"height":1024}}""");
        var running = await FireflyKit.PollAsync(http, statusUrl, j => j.GetProperty("status").GetString() == "running");
        Assert.InRange(running.GetProperty("progress").GetDouble(), 0, 100);
        var done = await FireflyKit.PollAsync(http, "/v3/status/" + Uri.EscapeDataString(jobId));
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(2, done.GetProperty("result").GetProperty("outputs").GetArrayLength());
    }

    [Fact]
    public async Task Cancel_stops_a_running_job_and_a_second_cancel_is_409()
    {
        _kiln.WithSlowGenerator(30000).Start();
        var (http, statusUrl, cancelUrl, jobId) = await SubmitAsync("""{"prompt":"x","size":{"width":1024,"height":1024}}""");
        await FireflyKit.PollAsync(http, statusUrl, j => j.GetProperty("status").GetString() == "running");

        using var cancel = await http.PutAsync(cancelUrl, null);
        var body = await HttpAssert.JsonAsync(cancel, 200);
        Assert.Equal("canceled", body.GetProperty("status").GetString());
        Assert.Equal(jobId, body.GetProperty("jobId").GetString());

        await Task.Delay(700);
        var after = await FireflyKit.PollAsync(http, statusUrl);
        Assert.Equal("canceled", after.GetProperty("status").GetString());
        Assert.False(after.TryGetProperty("result", out _));
        var again = await HttpAssert.JsonAsync(await http.PutAsync(cancelUrl, null), 409);
        Assert.Equal("job_already_canceled", again.GetProperty("error_code").GetString());
    }

    [Fact]
    public async Task Cancel_of_a_finished_job_is_409_job_completed()
    {
        _kiln.Start();
        var (http, statusUrl, cancelUrl, _) = await SubmitAsync("""{"prompt":"x","size":{"width":1024,"height":1024}}""");
        Assert.Equal("succeeded", (await FireflyKit.PollAsync(http, statusUrl)).GetProperty("status").GetString());
        var res = await HttpAssert.JsonAsync(await http.PutAsync(cancelUrl, null), 409);
        Assert.Equal("job_completed", res.GetProperty("error_code").GetString());
    }

    [Fact]
    public async Task Source_that_fails_at_run_time_gives_a_failed_job_with_http_200()
    {
        var closedPort = KilnProcess.FreePort(); // nothing listens there
        _kiln.With("Kiln:Firefly:AllowedSourceHosts:0", "images.test")
            .With("Kiln:Firefly:AllowedPrivateSourceAddresses:0", "127.0.0.1")
            .WithServices(s => s.AddSingleton<ISourceHostResolver>(new MapResolver(new() { ["images.test"] = IPAddress.Loopback })))
            .Start();
        var (http, statusUrl, _, jobId) = await SubmitAsync(
            """{"image":{"source":{"url":"URL"}}}""".Replace("URL", $"http://images.test:{closedPort}/cat.png", StringComparison.Ordinal), "generate-similar");
        var failed = await FireflyKit.PollAsync(http, statusUrl);
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Equal(jobId, failed.GetProperty("jobId").GetString());
        Assert.Equal("validation_error", failed.GetProperty("error_code").GetString());
        Assert.Contains("could not be downloaded", failed.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Another_orgs_job_is_unknown()
    {
        _kiln.Start();
        var (_, statusUrl, cancelUrl, _) = await SubmitAsync("""{"prompt":"x","size":{"width":1024,"height":1024}}""");
        var (clientId, secret) = await FireflyKit.SecondOrgAsync(_kiln);
        using var other = _kiln.Authed(await _kiln.TokenAsync(clientId, secret), clientId);
        Assert.Equal("unknown_job_id", (await HttpAssert.JsonAsync(await other.GetAsync(statusUrl), 404)).GetProperty("error_code").GetString());
        Assert.Equal("unknown_job_id", (await HttpAssert.JsonAsync(await other.PutAsync(cancelUrl, null), 404)).GetProperty("error_code").GetString());
    }
}

/// <summary>A resolver that maps test host names to fixed addresses (the rest do not resolve).</summary>
public sealed class MapResolver(Dictionary<string, IPAddress> map) : ISourceHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct) =>
        Task.FromResult(map.TryGetValue(host, out var a) ? new[] { a } : []);
}
