using System.Net;
using Kiln.Client.Internal;

namespace Kiln.Client;

public sealed partial class FireflyClient
{
    /// <summary>One status poll (<c>GET statusUrl</c>).</summary>
    /// <param name="job">The job.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<FireflyJobStatus> GetJobStatusAsync(FireflyJob job, CancellationToken ct = default) =>
        (await PollAsync(job.StatusUrl, ct)).Status;

    /// <summary>Cancels a job (<c>PUT cancelUrl</c>) and returns its status.</summary>
    /// <param name="job">The job.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<FireflyJobStatus> CancelJobAsync(FireflyJob job, CancellationToken ct = default)
    {
        using var req = new HttpRequestMessage(HttpMethod.Put, job.CancelUrl);
        req.Headers.Accept.ParseAdd("application/json");
        using var res = await SendAsync(req, ct);
        var text = await res.Content.ReadAsStringAsync(ct);
        var status = text.Length > 2 ? System.Text.Json.JsonSerializer.Deserialize<FireflyJobStatus>(text, HttpHelpers.Json) : null;
        return status is { Status.Length: > 0 } ? status : new FireflyJobStatus(job.JobId, "canceled");
    }

    /// <summary>A job from its id, with status and cancel URLs on <see cref="KilnClientOptions.FireflyBaseUrl"/>.</summary>
    /// <param name="jobId">The job id.</param>
    public FireflyJob JobFromId(string jobId)
    {
        var b = _options.FireflyBaseUrl;
        return new FireflyJob(jobId, new Uri(b, "/v3/status/" + Uri.EscapeDataString(jobId)), new Uri(b, "/v3/cancel/" + Uri.EscapeDataString(jobId)));
    }

    /// <summary>
    /// Polls until the job reaches a terminal status. Honours <c>Retry-After</c>, backs off from
    /// <see cref="KilnClientOptions.JobPollInterval"/> to <see cref="KilnClientOptions.MaxJobPollInterval"/>, and survives failed
    /// polls (429, 408, 5xx, transport errors). Returns the status of a succeeded job; a failed or canceled job throws
    /// <see cref="FireflyApiException"/> (<c>error_code</c> of the job, or <c>job_canceled</c>); the overall timeout throws
    /// <see cref="TimeoutException"/>; <paramref name="ct"/> throws <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <param name="job">The job.</param>
    /// <param name="progress">Receives a report after every poll.</param>
    /// <param name="timeout">The overall limit; default <see cref="KilnClientOptions.JobTimeout"/>.</param>
    /// <param name="ct">Cancellation.</param>
    public async Task<FireflyJobStatus> WaitForJobAsync(FireflyJob job, IProgress<JobProgress>? progress = null, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var clock = _options.TimeProvider;
        var limit = timeout ?? _options.JobTimeout;
        using var overall = new CancellationTokenSource(limit, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, overall.Token);
        var started = clock.GetTimestamp();
        var delay = _options.JobPollInterval;
        var (lastStatus, lastPercent, failed) = ("pending", (double?)null, 0);
        while (true)
        {
            TimeSpan? retryAfter = null;
            try
            {
                var (status, ra) = await PollAsync(job.StatusUrl, linked.Token);
                retryAfter = ra;
                (lastStatus, lastPercent) = (status.Status, status.Progress ?? lastPercent);
                progress?.Report(new JobProgress(job.JobId, lastStatus, lastPercent, clock.GetElapsedTime(started), failed));
                if (status.IsTerminal) return Finish(status);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested && overall.IsCancellationRequested)
            {
                throw new TimeoutException($"Job {job.JobId} did not finish within {limit} (last status {lastStatus}).");
            }
            catch (Exception e) when (IsTransientPollFailure(e, linked.Token))
            {
                failed++;
                retryAfter = (e as KilnApiException)?.RetryAfter;
                progress?.Report(new JobProgress(job.JobId, lastStatus, lastPercent, clock.GetElapsedTime(started), failed));
            }
            var wait = retryAfter is { } r && r > delay ? r : delay;
            delay = TimeSpan.FromTicks(Math.Min(_options.MaxJobPollInterval.Ticks, (long)(delay.Ticks * 1.5)));
            try { await Task.Delay(wait, clock, linked.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"Job {job.JobId} did not finish within {limit} (last status {lastStatus}).");
            }
        }
    }

    private static bool IsTransientPollFailure(Exception e, CancellationToken ct) => e switch
    {
        FireflyApiException f => f.StatusCode is { } s && Transient(s),
        KilnAuthenticationException => true,
        HttpRequestException h => h.StatusCode is null || Transient(h.StatusCode.Value),
        TaskCanceledException or TimeoutException => !ct.IsCancellationRequested, // a per-request timeout, not ours
        System.Text.Json.JsonException => true,
        _ => false,
    };

    private static FireflyJobStatus Finish(FireflyJobStatus status)
    {
        if (status.Status == "succeeded") return status;
        var canceled = status.Status is "canceled" or "cancelled";
        throw new FireflyApiException(HttpStatusCode.OK, status.ErrorCode ?? (canceled ? "job_canceled" : "job_" + status.Status),
            status.Message ?? $"Job {status.JobId} ended as {status.Status}.", null, null, []);
    }

    private async Task<(FireflyJobStatus Status, TimeSpan? RetryAfter)> PollAsync(Uri statusUrl, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, statusUrl);
        req.Headers.Accept.ParseAdd("application/json");
        using var res = await SendAsync(req, ct);
        var text = await res.Content.ReadAsStringAsync(ct);
        var status = System.Text.Json.JsonSerializer.Deserialize<FireflyJobStatus>(text, HttpHelpers.Json)
            ?? throw new System.Text.Json.JsonException("empty status body");
        if (status.Status == "failed")
        {
            // A failed job is HTTP 200 with an error body: keep its validation errors.
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            var errors = FireflyApiException.ParseValidation(doc.RootElement);
            throw new FireflyApiException(HttpStatusCode.OK, status.ErrorCode ?? "job_failed", status.Message ?? $"Job {status.JobId} failed.",
                HttpHelpers.RequestId(res), text, errors);
        }
        return (status, HttpHelpers.RetryAfter(res, _options.TimeProvider));
    }
}
