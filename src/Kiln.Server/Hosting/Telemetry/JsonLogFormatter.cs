using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Kiln.Server.Hosting.Telemetry;

/// <summary>
/// <c>--log-format json</c> (docs/operations.md#structured-logs): one JSON object per line with <c>timestamp</c>,
/// <c>level</c>, <c>category</c>, <c>message</c>, and where known <c>request_id</c> (the <c>x-request-id</c> answered),
/// <c>trace_id</c>, <c>span_id</c>, <c>org_id</c>, <c>client_id</c>, <c>job_id</c>, the message's named values under
/// <c>fields</c>, and <c>exception</c>. Kiln never puts a secret or a token in a log message; this adds nothing else.
/// </summary>
public sealed class JsonLogFormatter(IHttpContextAccessor http) : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "kiln-json";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null) return;
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("timestamp", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("level", Level(logEntry.LogLevel));
            w.WriteString("category", logEntry.Category);
            w.WriteString("message", message);
            if (logEntry.EventId.Id != 0) w.WriteNumber("event_id", logEntry.EventId.Id);

            var ids = LogIds.Current(scopeProvider, http);
            if (ids.RequestId is { } requestId) w.WriteString("request_id", requestId);
            if (ids.TraceId is { } traceId) w.WriteString("trace_id", traceId);
            if (ids.SpanId is { } spanId) w.WriteString("span_id", spanId);
            if (ids.OrgId is { } orgId) w.WriteString("org_id", orgId);
            if (ids.ClientId is { } clientId) w.WriteString("client_id", clientId);
            if (ids.JobId is { } jobId) w.WriteString("job_id", jobId);

            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> { Count: > 1 } state)
            {
                w.WriteStartObject("fields");
                foreach (var (k, v) in state)
                {
                    if (k == "{OriginalFormat}") continue;
                    w.WriteString(k, Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture));
                }
                w.WriteEndObject();
            }
            if (logEntry.Exception is { } e) w.WriteString("exception", e.ToString());
            w.WriteEndObject();
        }
        textWriter.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        textWriter.Write('\n');
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "information",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        LogLevel.Critical => "critical",
        _ => "none",
    };
}
