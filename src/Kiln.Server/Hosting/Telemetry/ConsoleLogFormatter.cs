using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Hosting.Telemetry;

/// <summary>
/// The default console format (docs/operations.md#structured-logs): .NET's simple format (level, category and event
/// id, then the message indented on the next line; coloured on a terminal) with the line's ids after the category:
/// <c>trace_id</c>, <c>request_id</c> when the client chose its own <c>x-request-id</c>, and <c>org_id</c>,
/// <c>client_id</c>, <c>job_id</c> where known (<see cref="LogIds"/>). It honours the simple formatter's
/// <c>SingleLine</c>, <c>TimestampFormat</c>, <c>UseUtcTimestamp</c> and <c>ColorBehavior</c> options. It adds ids
/// only, never a value from the message's state.
/// </summary>
public sealed class ConsoleLogFormatter(IHttpContextAccessor http, TimeProvider clock, IOptionsMonitor<SimpleConsoleFormatterOptions> options)
    : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "kiln";

    private const string Padding = "      ";
    private const string ResetColor = "\x1B[39m\x1B[22m\x1B[49m";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null) return;
        var o = options.CurrentValue;
        if (o.TimestampFormat is { Length: > 0 } format)
        {
            var now = clock.GetUtcNow();
            textWriter.Write((o.UseUtcTimestamp ? now : now.ToLocalTime()).ToString(format, CultureInfo.InvariantCulture));
        }
        var colored = o.ColorBehavior == LoggerColorBehavior.Enabled || (o.ColorBehavior == LoggerColorBehavior.Default && !System.Console.IsOutputRedirected);
        var (label, color) = Level(logEntry.LogLevel);
        if (colored) textWriter.Write(color);
        textWriter.Write(label);
        if (colored) textWriter.Write(ResetColor);
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture));
        textWriter.Write(']');

        var ids = LogIds.Current(scopeProvider, http);
        Id(textWriter, "trace_id", ids.TraceId);
        if (ids.RequestId != ids.TraceId) Id(textWriter, "request_id", ids.RequestId);
        Id(textWriter, "org_id", ids.OrgId);
        Id(textWriter, "client_id", ids.ClientId);
        Id(textWriter, "job_id", ids.JobId);

        var separator = o.SingleLine ? " " : Environment.NewLine + Padding;
        if (message is { Length: > 0 })
        {
            textWriter.Write(separator);
            textWriter.Write(o.SingleLine ? message.ReplaceLineEndings(" ") : message.ReplaceLineEndings(Environment.NewLine + Padding));
        }
        if (logEntry.Exception is { } e)
        {
            textWriter.Write(separator);
            textWriter.Write(o.SingleLine ? e.ToString().ReplaceLineEndings(" ") : e.ToString().ReplaceLineEndings(Environment.NewLine + Padding));
        }
        textWriter.Write(Environment.NewLine);
    }

    private static void Id(TextWriter w, string name, string? value)
    {
        if (value is null) return;
        w.Write(' ');
        w.Write(name);
        w.Write('=');
        w.Write(value);
    }

    // The simple formatter's labels and colours (ANSI; only on a terminal unless ColorBehavior says otherwise).
    private static (string Label, string Color) Level(LogLevel level) => level switch
    {
        LogLevel.Trace => ("trce", "\x1B[37m\x1B[40m"),
        LogLevel.Debug => ("dbug", "\x1B[37m\x1B[40m"),
        LogLevel.Information => ("info", "\x1B[32m\x1B[40m"),
        LogLevel.Warning => ("warn", "\x1B[1m\x1B[33m\x1B[40m"),
        LogLevel.Error => ("fail", "\x1B[30m\x1B[41m"),
        LogLevel.Critical => ("crit", "\x1B[1m\x1B[37m\x1B[41m"),
        _ => ("none", ""),
    };
}
