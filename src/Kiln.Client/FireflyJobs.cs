using System.Text.Json;
using Kiln.Client.Internal;

namespace Kiln.Client;

public partial class FireflyClient
{
    /// <summary>One status poll (<c>GET statusUrl</c>).</summary>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual async Task<FireflyJobStatus> GetJobStatusAsync(FireflyJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return (await PollAsync(job.StatusUrl, cancellationToken).ConfigureAwait(false)).Status;
    }

    /// <summary>
    /// Cancels a job (<c>PUT cancelUrl</c>) and returns its status. This is the only way to stop a job: cancelling a
    /// <see cref="WaitForJobAsync"/> stops the wait, not the job.
    /// </summary>
    /// <param name="job">The job.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual async Task<FireflyJobStatus> CancelJobAsync(FireflyJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var req = new HttpRequestMessage(HttpMethod.Put, job.CancelUrl);
        req.Headers.Accept.ParseAdd("application/json");
        using var res = await SendAsync(req, cancellationToken).ConfigureAwait(false);
        var text = await res.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var status = text.Length > 2 ? JsonSerializer.Deserialize<FireflyJobStatus>(text, HttpHelpers.Json) : null;
        return status is { Status: not FireflyJobState.Unknown } ? status : new FireflyJobStatus(job.JobId, FireflyJobState.Canceled);
    }

    /// <summary>A job from its id, with status and cancel URLs under the Firefly base address.</summary>
    /// <param name="jobId">The job id.</param>
    public virtual FireflyJob JobFromId(string jobId)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        return new FireflyJob(jobId, Url("v3/status/" + Uri.EscapeDataString(jobId)), Url("v3/cancel/" + Uri.EscapeDataString(jobId)));
    }

    /// <summary>
    /// Polls until the job reaches a terminal status. Honours <c>Retry-After</c>, backs off from
    /// <see cref="KilnClientOptions.JobPollInterval"/> to <see cref="KilnClientOptions.MaxJobPollInterval"/>, and survives
    /// temporarily failed polls (429, 408, 5xx, connection failures, IMS unreachable). Ends at once on anything else: a 4xx,
    /// a rejected credential (<see cref="KilnAuthenticationException"/>). Returns the status of a succeeded job; a failed or
    /// canceled job throws <see cref="FireflyJobFailedException"/>; the overall timeout throws <see cref="KilnTimeoutException"/>;
    /// <paramref name="cancellationToken"/> throws <see cref="OperationCanceledException"/>. Neither the timeout nor cancellation
    /// cancels the job itself: call <see cref="CancelJobAsync"/> for that.
    /// </summary>
    /// <param name="job">The job.</param>
    /// <param name="progress">
    /// Receives a report after every poll, in order, before the next poll; the last report is the terminal status. Its
    /// <c>Report</c> is called on the polling thread: <see cref="Progress{T}"/> posts reports to a thread-pool or UI context,
    /// which may run them later and out of order, so use a synchronous <see cref="IProgress{T}"/> where order matters.
    /// </param>
    /// <param name="timeout">The overall limit; default <see cref="KilnClientOptions.JobTimeout"/>.</param>
    /// <param name="cancellationToken">Stops waiting (not the job).</param>
    public virtual async Task<FireflyJobStatus> WaitForJobAsync(FireflyJob job, IProgress<JobProgress>? progress = null, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var clock = _options.TimeProvider;
        var limit = timeout ?? _options.JobTimeout;
        using var activity = KilnDiagnostics.Source.StartActivity("Kiln.WaitForJob");
        activity?.SetTag("kiln.job_id", job.JobId);
        using var overall = new CancellationTokenSource(limit, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, overall.Token);
        var started = clock.GetTimestamp();
        var delay = _options.JobPollInterval;
        var (lastStatus, lastPercent, failed) = (FireflyJobState.Pending, (double?)null, 0);
        KilnTimeoutException TimedOut() => new($"Job {job.JobId} did not finish within {limit} (last status {lastStatus.ToString().ToLowerInvariant()}). The job goes on; CancelJobAsync stops it.");
        while (true)
        {
            TimeSpan? retryAfter = null;
            try
            {
                var (status, ra, requestId, body) = await PollAsync(job.StatusUrl, linked.Token).ConfigureAwait(false);
                retryAfter = ra;
                (lastStatus, lastPercent) = (status.Status, status.Progress ?? lastPercent);
                Log.JobPolled(_log, job.JobId, lastStatus, lastPercent);
                progress?.Report(new JobProgress(job.JobId, lastStatus, lastPercent, clock.GetElapsedTime(started), failed));
                if (status.IsTerminal)
                {
                    Log.JobEnded(_log, job.JobId, status.Status, clock.GetElapsedTime(started));
                    activity?.SetTag("kiln.job_status", status.Status.ToString());
                    return Finish(status, requestId, body);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && overall.IsCancellationRequested)
            {
                throw TimedOut();
            }
            catch (Exception e) when (IsTransientPollFailure(e, linked.Token))
            {
                failed++;
                retryAfter = (e as KilnApiException)?.RetryAfter;
                Log.JobPollFailed(_log, job.JobId, failed, e.Message);
                progress?.Report(new JobProgress(job.JobId, lastStatus, lastPercent, clock.GetElapsedTime(started), failed));
            }
            var wait = retryAfter is { } r && r > delay ? r : delay;
            delay = TimeSpan.FromTicks(Math.Min(_options.MaxJobPollInterval.Ticks, (long)(delay.Ticks * 1.5)));
            try { await Task.Delay(wait, clock, linked.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw TimedOut();
            }
        }
    }

    private static bool IsTransientPollFailure(Exception e, CancellationToken ct) => e switch
    {
        KilnAuthenticationException a => a.IsTransient,
        FireflyJobFailedException => false,
        FireflyApiException f => f.StatusCode is { } s && Transient(s),
        HttpRequestException h => h.StatusCode is null || Transient(h.StatusCode.Value),
        TimeoutException => !ct.IsCancellationRequested, // one request's timeout, not the wait's
        OperationCanceledException => !ct.IsCancellationRequested,
        JsonException => true,
        _ => false,
    };

    private static FireflyJobStatus Finish(FireflyJobStatus status, string? requestId, string body)
    {
        if (status.Status == FireflyJobState.Succeeded) return status;
        var code = status.ErrorCode ?? (status.Status == FireflyJobState.Canceled ? "job_canceled" : "job_" + status.Status.ToString().ToLowerInvariant());
        IReadOnlyList<FireflyValidationError> errors = [];
        try { using var doc = JsonDocument.Parse(body); errors = FireflyApiException.ParseValidation(doc.RootElement); }
        catch (JsonException) { }
        throw new FireflyJobFailedException(status, code, requestId, body, errors);
    }

    private async Task<(FireflyJobStatus Status, TimeSpan? RetryAfter, string? RequestId, string Body)> PollAsync(Uri statusUrl, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(HttpMethod.Get, statusUrl);
        req.Headers.Accept.ParseAdd("application/json");
        using var res = await SendAsync(req, ct).ConfigureAwait(false);
        var text = await res.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var status = JsonSerializer.Deserialize<FireflyJobStatus>(text, HttpHelpers.Json) ?? throw new JsonException("empty status body");
        return (status, HttpHelpers.RetryAfter(res, _options.TimeProvider), HttpHelpers.RequestId(res), text);
    }
}
