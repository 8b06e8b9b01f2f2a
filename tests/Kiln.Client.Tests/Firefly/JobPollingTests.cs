using System.Net;
using Kiln.Client.Tests.Infrastructure;

namespace Kiln.Client.Tests.Firefly;

/// <summary>WaitForJobAsync: none of the official AsyncJobPromise bugs (docs/client.md#waiting-for-jobs).</summary>
public sealed class JobPollingTests
{
    private const string Pending = $$"""{"jobId":"{{FireflyStub.JobId}}","status":"pending"}""";
    private static string Running(int p) => $$"""{"jobId":"{{FireflyStub.JobId}}","status":"running","progress":{{p}}}""";

    [Fact]
    public async Task Progress_is_reported_for_every_poll_until_success()
    {
        var stub = new FireflyStub().Status(Pending).Status(Running(30)).Status(Running(70)).Status(FireflyStub.Succeeded());
        var progress = new ListProgress<JobProgress>();

        var done = await stub.Client().WaitForJobAsync(FireflyStub.Job, progress);

        Assert.Equal(FireflyJobState.Succeeded, done.Status);
        Assert.Equal(new Uri("http://firefly.test/out/1.png"), Assert.Single(done.Result!.Outputs).Image.Url);
        Assert.Equal(42, done.Result.Outputs[0].Seed);
        Assert.Equal([FireflyJobState.Pending, FireflyJobState.Running, FireflyJobState.Running, FireflyJobState.Succeeded], progress.Items.Select(p => p.Status));
        Assert.Equal([null, 30.0, 70.0, 100.0], progress.Items.Select(p => p.Percent));
        Assert.Equal(4, stub.StatusPollTimes.Count);
        Assert.All(stub.Requests, r => Assert.Equal("/v3/status/" + FireflyStub.JobId, r.Path)); // the urn's colons survive
    }

    [Fact]
    public async Task Retry_After_on_a_status_or_a_429_delays_the_next_poll()
    {
        var stub = new FireflyStub()
            .Status(Running(10) is var r ? _ => FireflyStub.Json(200, r, TimeSpan.FromSeconds(1)) : null!)
            .Status(_ => FireflyStub.Json(429, """{"error_code":"rate_limited","message":"slow down"}""", TimeSpan.FromSeconds(1)))
            .Status(FireflyStub.Succeeded());
        var progress = new ListProgress<JobProgress>();

        await stub.Client().WaitForJobAsync(FireflyStub.Job, progress);

        var t = stub.StatusPollTimes;
        Assert.Equal(3, t.Count);
        Assert.True(t[1] - t[0] >= TimeSpan.FromMilliseconds(950), $"second poll after {(t[1] - t[0]).TotalMilliseconds} ms");
        Assert.True(t[2] - t[1] >= TimeSpan.FromMilliseconds(950), $"third poll after {(t[2] - t[1]).TotalMilliseconds} ms");
        Assert.Equal(1, progress.Items[^1].FailedPolls);
    }

    [Fact]
    public async Task Failed_polls_are_survived_and_the_job_still_completes()
    {
        var stub = new FireflyStub()
            .Status(Running(5))
            .Status(_ => FireflyStub.Json(503, """{"error_code":"model_not_loaded","message":"warming up"}"""))
            .Status(_ => throw new HttpRequestException("connection reset"))
            .Status(_ => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StringContent("<html>bad gateway</html>") })
            .Status(FireflyStub.Succeeded());
        var progress = new ListProgress<JobProgress>();

        var done = await stub.Client().WaitForJobAsync(FireflyStub.Job, progress);

        Assert.Equal(FireflyJobState.Succeeded, done.Status);
        Assert.Equal(5, stub.StatusPollTimes.Count);
        Assert.Equal(3, progress.Items[^1].FailedPolls);
    }

    [Theory]
    [InlineData("canceled")]
    [InlineData("cancelled")]
    public async Task Canceled_is_terminal_and_polling_stops(string spelling)
    {
        var stub = new FireflyStub().Status(Running(20)).Status($$"""{"jobId":"{{FireflyStub.JobId}}","status":"{{spelling}}"}""");
        var e = await Assert.ThrowsAsync<FireflyJobFailedException>(() => stub.Client().WaitForJobAsync(FireflyStub.Job));
        Assert.Equal("job_canceled", e.ErrorCode);
        Assert.Equal(FireflyJobState.Canceled, e.JobStatus);
        Assert.Null(e.StatusCode); // the status request succeeded: no HTTP error to report
        await Task.Delay(200);
        Assert.Equal(2, stub.StatusPollTimes.Count);
    }

    [Fact]
    public async Task A_failed_job_throws_with_its_error_code_and_validation_errors()
    {
        var stub = new FireflyStub().Status(_ => FireflyStub.Json(200,
            $$"""{"jobId":"{{FireflyStub.JobId}}","status":"failed","error_code":"validation_error","message":"bad size","validation_errors":[{"loc":["body","size"],"msg":"not allowed","type":"value_error"}]}""",
            requestId: "req-123"));
        var e = await Assert.ThrowsAsync<FireflyJobFailedException>(() => stub.Client().WaitForJobAsync(FireflyStub.Job));
        Assert.Equal("validation_error", e.ErrorCode);
        Assert.Equal("bad size", e.ApiMessage);
        Assert.Equal("req-123", e.RequestId);
        var v = Assert.Single(e.ValidationErrors);
        Assert.Equal(["body", "size"], v.Loc);
        Assert.Equal("not allowed", v.Msg);
    }

    [Fact]
    public async Task The_overall_timeout_ends_a_job_that_never_finishes()
    {
        var stub = new FireflyStub(); // running forever
        var started = DateTime.UtcNow;
        // 1.5 s: as the first test of a cold run, the first poll alone has taken 0.4 s (JIT), which left no time for a second.
        var e = await Assert.ThrowsAsync<KilnTimeoutException>(() => stub.Client().WaitForJobAsync(FireflyStub.Job, timeout: TimeSpan.FromMilliseconds(1500)));
        Assert.Contains("running", e.Message);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(1450), TimeSpan.FromSeconds(10));
        Assert.True(stub.StatusPollTimes.Count >= 2); // it kept polling until the limit
    }

    [Fact]
    public async Task Caller_cancellation_is_an_OperationCanceledException_not_a_timeout()
    {
        var stub = new FireflyStub();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stub.Client().WaitForJobAsync(FireflyStub.Job, timeout: TimeSpan.FromMinutes(1), cancellationToken: cts.Token));
        Assert.IsNotType<TimeoutException>(e);
        var polls = stub.StatusPollTimes.Count;
        await Task.Delay(200);
        Assert.Equal(polls, stub.StatusPollTimes.Count); // nothing keeps polling in the background
    }

    [Fact]
    public async Task An_unknown_job_is_not_retried()
    {
        var stub = new FireflyStub().Status(_ => FireflyStub.Json(404, """{"error_code":"unknown_job_id","message":"no such job"}""", requestId: "r-404"));
        var e = await Assert.ThrowsAsync<FireflyApiException>(() => stub.Client().WaitForJobAsync(FireflyStub.Job));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Equal("unknown_job_id", e.ErrorCode);
        Assert.Equal("r-404", e.RequestId);
        Assert.Single(stub.StatusPollTimes);
    }

    [Fact]
    public async Task Polling_backs_off_up_to_the_maximum_interval()
    {
        var stub = new FireflyStub();
        for (var i = 0; i < 7; i++) stub.Status(Running(i));
        stub.Status(FireflyStub.Succeeded());
        await stub.Client(o => { o.JobPollInterval = TimeSpan.FromMilliseconds(40); o.MaxJobPollInterval = TimeSpan.FromMilliseconds(120); }).WaitForJobAsync(FireflyStub.Job);
        var t = stub.StatusPollTimes;
        var gaps = t.Zip(t.Skip(1), (a, b) => b - a).ToList();
        Assert.True(gaps[0] >= TimeSpan.FromMilliseconds(35), $"first gap {gaps[0].TotalMilliseconds} ms");
        Assert.True(gaps[^1] >= TimeSpan.FromMilliseconds(110), $"last gap {gaps[^1].TotalMilliseconds} ms");
    }
}
