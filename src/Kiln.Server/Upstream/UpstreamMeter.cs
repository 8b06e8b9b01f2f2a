using Kiln.Server.Core;

namespace Kiln.Server.Upstream;

/// <summary>
/// The one place upstream calls are measured (docs/operations.md#metrics): a handler just above the connection pool of
/// every HTTP client <see cref="UpstreamClients"/> hands out, so each exchange with an upstream (a token mint, a
/// Firefly call, a Console API call of a rotation, an output download; a retry after a 401 is a second exchange) is
/// recorded in <see cref="KilnMetrics.UpstreamCall"/> with its profile, call kind, status (0: no answer) and the time
/// to the answer's headers (timed on the injected <see cref="TimeProvider"/>), and each failure in <see cref="KilnMetrics.UpstreamError"/> with a bounded reason.
/// </summary>
public sealed class UpstreamMeter(KilnMetrics metrics, TimeProvider clock, string profile, string call) : DelegatingHandler
{
    public const string Token = "token", Firefly = "firefly", ConsoleApi = "console", Output = "output";

    /// <summary>
    /// The caller's own cancellation token, set by <see cref="UpstreamCalls.SendAsync"/>: a call it canceled (a job
    /// canceled, a client gone) is not an upstream timeout.
    /// </summary>
    public static readonly HttpRequestOptionsKey<CancellationToken> CallerToken = new("kiln.upstream.caller");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = clock.GetTimestamp();
        try
        {
            var res = await base.SendAsync(request, cancellationToken);
            var status = (int)res.StatusCode;
            metrics.UpstreamCall(profile, call, status, clock.GetElapsedTime(started));
            if (Reason(call, status) is { } reason) metrics.UpstreamError(profile, call, reason);
            return res;
        }
        catch (HttpRequestException)
        {
            Failed(started, "connect");
            throw;
        }
        catch (OperationCanceledException)
        {
            var byCaller = request.Options.TryGetValue(CallerToken, out var caller) && caller.IsCancellationRequested;
            Failed(started, byCaller ? null : "timeout");
            throw;
        }
    }

    private void Failed(long started, string? reason)
    {
        metrics.UpstreamCall(profile, call, 0, clock.GetElapsedTime(started));
        if (reason is not null) metrics.UpstreamError(profile, call, reason);
    }

    /// <summary>
    /// Why an answer counts as a failure, or null: a Firefly 4xx other than these is the client's own error (a 422
    /// passed on unchanged), not the upstream's; IMS answers a wrong secret with 400 or 401.
    /// </summary>
    public static string? Reason(string call, int status) => status switch
    {
        401 or 403 => "refused",
        400 when call == Token => "refused",
        408 => "timeout",
        429 => "rate_limited",
        >= 500 => "http_5xx",
        >= 400 when call == Output => "http_4xx",
        _ => null,
    };
}
