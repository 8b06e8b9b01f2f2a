using Kiln.Server.Core;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Kiln.Server.Hosting.Telemetry;

/// <summary>
/// Traces, metrics and the log format (docs/operations.md#observability). With no OTLP endpoint, no metrics listener
/// and no log format asked for, it registers nothing: Kiln is silent and pays nothing.
/// </summary>
public static class TelemetrySetup
{
    /// <summary>The standard OpenTelemetry variable (or <c>kiln serve --otlp-endpoint</c>, which sets it).</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary><c>console</c> (default) or <c>json</c> (<c>kiln serve --log-format</c>).</summary>
    public const string LogFormatKey = "Kiln:Telemetry:LogFormat";

    /// <summary>Records traces without an OTLP endpoint, for an exporter that a hosting startup adds.</summary>
    public const string TracingKey = "Kiln:Telemetry:Tracing";

    public const string ServiceName = "kiln";

    public static WebApplicationBuilder AddKilnTelemetry(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var format = config[LogFormatKey];
        if (string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddConsole(o => o.FormatterName = JsonLogFormatter.FormatterName);
            builder.Logging.AddConsoleFormatter<JsonLogFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
            builder.Services.AddSingleton<JsonConsoleLogs>();
        }
        else if (format is { Length: > 0 } && !string.Equals(format, "console", StringComparison.OrdinalIgnoreCase))
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(LogFormatKey, typeof(string),
                [$"{LogFormatKey} (--log-format) must be console or json, not '{format}'"]);
        }
        else if (string.IsNullOrEmpty(config["Logging:Console:FormatterName"]))
        {
            // The default console format: the simple one with the trace id and the caller's ids (an operator's own
            // Logging:Console:FormatterName wins).
            builder.Logging.AddConsole(o => o.FormatterName = ConsoleLogFormatter.FormatterName);
            builder.Logging.AddConsoleFormatter<ConsoleLogFormatter, Microsoft.Extensions.Logging.Console.SimpleConsoleFormatterOptions>();
        }

        var otlp = !string.IsNullOrWhiteSpace(config[OtlpEndpointKey]);
        var metricsListener = MetricsAccess.From(config) is { Urls.Length: > 0 };
        var tracing = otlp || config.GetValue<bool>(TracingKey);
        if (!otlp && !metricsListener && !tracing) return builder;

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: KilnVersion.Informational));
        if (tracing)
            otel.WithTracing(t =>
            {
                Tracing(t);
                if (otlp) t.AddOtlpExporter();
            });
        if (otlp || metricsListener)
            otel.WithMetrics(m =>
            {
                Metrics(m);
                if (metricsListener) m.AddPrometheusExporter();
                if (otlp) m.AddOtlpExporter();
            });
        if (metricsListener) builder.Services.AddHostedService<MetricsListener>();
        return builder;
    }

    /// <summary>
    /// What Kiln traces: its own spans, ASP.NET Core (not the health probes or scrapes), HttpClient (source fetches, S3 calls),
    /// EF Core and Npgsql. The instrumentations record no query-string values, headers or bodies.
    /// </summary>
    public static TracerProviderBuilder Tracing(TracerProviderBuilder t) => t
        .AddSource(KilnTelemetry.Name)
        .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !ctx.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal)
            && !ctx.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal))
        .AddHttpClientInstrumentation()
        .AddEntityFrameworkCoreInstrumentation()
        .AddNpgsql();

    /// <summary>Kiln's meter, ASP.NET Core's and Kestrel's, HttpClient's, Npgsql's and the .NET runtime's.</summary>
    public static MeterProviderBuilder Metrics(MeterProviderBuilder m) => m
        .AddMeter(KilnMetrics.MeterName)
        .AddAspNetCoreInstrumentation()
        .AddHttpClientInstrumentation()
        .AddNpgsqlInstrumentation()
        .AddRuntimeInstrumentation();
}
