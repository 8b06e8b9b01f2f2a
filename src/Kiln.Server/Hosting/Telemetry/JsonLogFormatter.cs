using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Kiln.Server.Core;
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

            string? orgId = null, clientId = null, jobId = null;
            scopeProvider?.ForEachScope((scope, _) =>
            {
                if (scope is not IEnumerable<KeyValuePair<string, object?>> values) return;
                foreach (var (k, v) in values)
                {
                    if (k == "OrgId") orgId = Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture);
                    else if (k == "ClientId") clientId = v as string;
                    else if (k == "JobId") jobId = v as string;
                }
            }, (object?)null);
            var ctx = http.HttpContext;
            if (ctx?.Items[ImsCaller.ItemKey] is ImsCaller caller)
            {
                orgId ??= caller.OrgId.ToString(System.Globalization.CultureInfo.InvariantCulture);
                clientId ??= caller.ClientId;
            }
            if (ctx is not null) w.WriteString("request_id", ctx.TraceIdentifier);
            if (Activity.Current is { } a)
            {
                w.WriteString("trace_id", a.TraceId.ToHexString());
                w.WriteString("span_id", a.SpanId.ToHexString());
            }
            if (orgId is not null) w.WriteString("org_id", orgId);
            if (clientId is not null) w.WriteString("client_id", clientId);
            if (jobId is not null) w.WriteString("job_id", jobId);

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
