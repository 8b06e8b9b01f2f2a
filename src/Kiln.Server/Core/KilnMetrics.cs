using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Server.Core;

/// <summary>
/// Kiln's instruments, on one <see cref="System.Diagnostics.Metrics.Meter"/> named "Kiln" made per application by the
/// <see cref="IMeterFactory"/> (docs/operations.md#metrics lists them with their Prometheus names). Features record
/// through the methods here; a new feature (an upstream engine) may create its own instruments on <see cref="Meter"/>.
/// Labels are bounded sets (reasons, operations, states), never ids or free text. Durations and the outage window are
/// timed on the injected <see cref="TimeProvider"/>, as every clock.
/// </summary>
public sealed class KilnMetrics
{
    public const string MeterName = "Kiln";

    private readonly Counter<long> _tokensIssued, _tokensRefused, _gate, _revocations, _secretEvents, _produced, _jobs, _blobErrors, _outages;
    private readonly Counter<long> _upstreamErrors;
    private readonly Histogram<double> _imageDuration, _jobPickup, _upstreamDuration;
    private readonly TimeProvider _clock;
    private long _lastOutage; // the clock's timestamp of the latest outage answered, 0 when none

    public KilnMetrics(IMeterFactory meters, TimeProvider clock)
    {
        _clock = clock;
        Meter = meters.Create(MeterName);
        _tokensIssued = Meter.CreateCounter<long>("kiln.ims.tokens.issued", "{token}", "Access tokens issued, by grant type");
        _tokensRefused = Meter.CreateCounter<long>("kiln.ims.tokens.refused", "{request}", "Token requests refused, by grant type and reason");
        _gate = Meter.CreateCounter<long>("kiln.ims.gate.decisions", "{request}", "Decisions of the gate for resource APIs");
        _revocations = Meter.CreateCounter<long>("kiln.ims.revocations", "{token}", "Tokens revoked (invalidate)");
        _secretEvents = Meter.CreateCounter<long>("kiln.ims.secret.events", "{event}", "Client secrets created, added and deleted");
        _imageDuration = Meter.CreateHistogram<double>("kiln.images.request.duration", "s", "Image requests by operation, mode, status and engine",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60] });
        _produced = Meter.CreateCounter<long>("kiln.images.produced", "{image}", "Images rendered and stored");
        _jobs = Meter.CreateCounter<long>("kiln.jobs.transitions", "{job}", "Async jobs entering a state (pending, running, succeeded, failed, requeued)");
        _jobPickup = Meter.CreateHistogram<double>("kiln.jobs.pickup.duration", "s", "Time from submit to a worker claiming the job",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60] });
        _blobErrors = Meter.CreateCounter<long>("kiln.blob.errors", "{error}", "Blob store calls that failed, by call");
        _outages = Meter.CreateCounter<long>("kiln.outages", "{response}", "Requests answered 503 because the database, disk or storage was down");
        _upstreamDuration = Meter.CreateHistogram<double>("kiln.upstream.call.duration", "s", "Calls to an upstream image provider, by profile, call and status",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120] });
        _upstreamErrors = Meter.CreateCounter<long>("kiln.upstream.errors", "{error}", "Failed calls to an upstream image provider, by profile, call and reason");
        Meter.CreateObservableGauge("kiln.outage.active", () => OutageActive ? 1 : 0, null,
            "1 while an outage was answered in the last 30 seconds, else 0");
    }

    /// <summary>The "Kiln" meter, for instruments a feature adds itself.</summary>
    public Meter Meter { get; }

    /// <summary>Registers the instruments once (every feature that records calls this).</summary>
    public static void AddTo(IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<KilnMetrics>();
    }

    public void TokenIssued(string grant) => _tokensIssued.Add(1, new KeyValuePair<string, object?>("grant", grant));

    public void TokenRefused(string grant, string reason) =>
        _tokensRefused.Add(1, new KeyValuePair<string, object?>("grant", grant), new KeyValuePair<string, object?>("reason", reason));

    public void GateDecision(string decision) => _gate.Add(1, new KeyValuePair<string, object?>("decision", decision));

    public void TokenRevoked() => _revocations.Add(1);

    public void SecretEvent(string kind, int count = 1) => _secretEvents.Add(count, new KeyValuePair<string, object?>("event", kind));

    public void ImageRequest(string operation, string mode, int status, string engine, TimeSpan elapsed)
    {
        var tags = new TagList
        {
            { "operation", operation }, { "mode", mode }, { "status", status.ToString(System.Globalization.CultureInfo.InvariantCulture) }, { "engine", engine },
        };
        _imageDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void ImageProduced(string operation, string engine) =>
        _produced.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("engine", engine));

    public void JobEntered(string state) => _jobs.Add(1, new KeyValuePair<string, object?>("state", state));

    public void JobPickedUp(TimeSpan waited) => _jobPickup.Record(Math.Max(0, waited.TotalSeconds));

    /// <summary>
    /// One HTTP exchange with an upstream provider (<c>Upstream/UpstreamMeter</c> records each): <paramref name="call"/> is
    /// <c>token</c>, <c>firefly</c>, <c>console</c> or <c>output</c>; <paramref name="status"/> the HTTP status, or 0 when none came back.
    /// </summary>
    public void UpstreamCall(string profile, string call, int status, TimeSpan elapsed)
    {
        var tags = new TagList { { "profile", profile }, { "call", call }, { "status", status.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        _upstreamDuration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>A failed upstream call, by a bounded reason (<c>timeout</c>, <c>connect</c>, <c>http_5xx</c>, <c>http_4xx</c>, <c>refused</c>, <c>rate_limited</c>).</summary>
    public void UpstreamError(string profile, string call, string reason) =>
        _upstreamErrors.Add(1, new KeyValuePair<string, object?>("profile", profile), new KeyValuePair<string, object?>("call", call),
            new KeyValuePair<string, object?>("reason", reason));

    public void BlobError(string call) => _blobErrors.Add(1, new KeyValuePair<string, object?>("call", call));

    public void Outage(string kind)
    {
        _outages.Add(1, new KeyValuePair<string, object?>("kind", kind));
        Interlocked.Exchange(ref _lastOutage, _clock.GetTimestamp());
    }

    private bool OutageActive => Interlocked.Read(ref _lastOutage) is var t && t != 0 && _clock.GetElapsedTime(t) < TimeSpan.FromSeconds(30);
}
