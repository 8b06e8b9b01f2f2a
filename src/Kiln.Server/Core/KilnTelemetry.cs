using System.Diagnostics;

namespace Kiln.Server.Core;

/// <summary>
/// Kiln's own spans (docs/operations.md#traces): one <see cref="ActivitySource"/> named "Kiln". A span costs nothing
/// while no tracer listens (no OTLP endpoint and tracing not asked for). Attributes carry ids, never a secret or a token.
/// </summary>
public static class KilnTelemetry
{
    public const string Name = "Kiln";

    public static readonly ActivitySource Source = new(Name, typeof(KilnTelemetry).Assembly.GetName().Version?.ToString());

    // Attribute names of Kiln's spans (and labels of its metrics where they match).
    public const string OrgId = "kiln.org_id";
    public const string ClientId = "kiln.client_id";
    public const string Operation = "kiln.operation";
    public const string Engine = "kiln.engine";
    public const string JobId = "kiln.job_id";
    public const string Outcome = "kiln.outcome";

    /// <summary>Starts one of Kiln's spans (null when nobody listens).</summary>
    public static Activity? Start(string name, ActivityKind kind = ActivityKind.Internal) => Source.StartActivity(name, kind);

    /// <summary>
    /// Records no span at all (Kiln's, EF Core's, Npgsql's, HttpClient's) until disposed: for polls that run every
    /// second whether or not there is work (job claims and re-queues, heartbeats, the jobs gauge), which would
    /// otherwise flood the exporter with database spans.
    /// </summary>
    public static IDisposable Quiet() => OpenTelemetry.SuppressInstrumentationScope.Begin();

    /// <summary>Marks a span failed with a short reason (an error code, never a message that could carry input).</summary>
    public static void Fail(this Activity? span, string reason)
    {
        if (span is null) return;
        span.SetStatus(ActivityStatusCode.Error, reason);
        span.SetTag(Outcome, reason);
    }
}
