using System.CommandLine;
using Kiln.Server.Core;
using Kiln.Server.Hosting;
using Kiln.Server.Hosting.Tls;
using Kiln.Server.Hosting.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln serve</c>: starts the identity service, console and image API in one process (docs/configuration.md#first-start).</summary>
public static class ServeCommand
{
    public static readonly Option<string> Data = new("--data") { Description = "Data directory (SQLite database, images, demo files)", DefaultValueFactory = _ => "kiln-data" };
    public static readonly Option<string?> Database = new("--database") { Description = "PostgreSQL connection string (\"Host=...\") for scale-out; default SQLite under --data" };

    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on", DefaultValueFactory = _ => "http://127.0.0.1:5000" };
        var storage = new Option<string?>("--storage") { Description = "Blob storage: s3://bucket?endpoint=...&region=...&forcePathStyle=true; default local disk under --data" };
        var publicUrl = new Option<string?>("--public-url") { Description = "Base URL that clients use to reach Kiln (for status and image URLs)" };
        var adobeHosts = new Option<bool>("--adobe-hosts") { Description = "Also answer over HTTPS at Adobe's host names with certificates from Kiln's CA (docs/adobe-hosts.md)" };
        var httpsPort = new Option<int?>("--https-port") { Description = "Port of the --adobe-hosts listener (default 443)" };
        var httpsAddress = new Option<string?>("--https-address") { Description = "Address of the --adobe-hosts listener (default 127.0.0.1)" };
        var proxyPort = new Option<string?>("--proxy-port")
        {
            Description = $"Run the CONNECT proxy for Adobe's host names on 127.0.0.1:PORT (default {AdobeHosts.DefaultProxyPort} when given without a port)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var hostNames = new Option<string[]>("--host-name") { Description = "Another host name (or IP address) Kiln's CA may sign for; repeat for several" };
        var reissueCa = new Option<bool>("--reissue-ca") { Description = "Replace Kiln's CA when the configured host names differ from the ones it was made for" };
        var logFormat = new Option<string?>("--log-format") { Description = "console (default) or json: one JSON object per log line" };
        logFormat.AcceptOnlyFromAmong("console", "json");
        var otlp = new Option<string?>("--otlp-endpoint") { Description = "Export traces and metrics with OTLP to this endpoint (like OTEL_EXPORTER_OTLP_ENDPOINT)" };
        var metricsUrls = new Option<string?>("--metrics-urls") { Description = "Serve /metrics for Prometheus on this separate listener, e.g. http://127.0.0.1:9464" };
        var cmd = new Command("serve", "Start Kiln") { urls, Data, Database, storage, publicUrl, adobeHosts, httpsPort, httpsAddress, proxyPort, hostNames, reissueCa, logFormat, otlp, metricsUrls };
        cmd.SetAction(async (parse, ct) =>
        {
            var args = new List<string> { "--urls", parse.GetValue(urls)!, $"--Kiln:DataDir={parse.GetValue(Data)}" };
            if (parse.GetValue(Database) is { Length: > 0 } db) args.Add($"--Kiln:Database={db}");
            if (parse.GetValue(storage) is { Length: > 0 } st) args.Add($"--Kiln:Storage={st}");
            if (parse.GetValue(publicUrl) is { Length: > 0 } pu) args.Add($"--Kiln:PublicBaseUrl={pu}");
            if (parse.GetValue(adobeHosts)) args.Add("--Kiln:AdobeHosts:Enabled=true");
            if (parse.GetValue(httpsPort) is { } hp) args.Add($"--Kiln:AdobeHosts:HttpsPort={hp}");
            if (parse.GetValue(httpsAddress) is { Length: > 0 } ha) args.Add($"--Kiln:AdobeHosts:HttpsAddress={ha}");
            if (parse.GetResult(proxyPort) is not null)
            {
                var given = parse.GetValue(proxyPort);
                if (given is null) args.Add($"--Kiln:AdobeHosts:ProxyPort={AdobeHosts.DefaultProxyPort}");
                else if (int.TryParse(given, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)) args.Add($"--Kiln:AdobeHosts:ProxyPort={port}");
                else
                {
                    System.Console.Error.WriteLine($"error: --proxy-port takes a port number, not '{given}'.");
                    return 2;
                }
            }
            var names = parse.GetValue(hostNames) ?? [];
            for (var i = 0; i < names.Length; i++) args.Add($"--Kiln:AdobeHosts:ExtraNames:{i}={names[i]}");
            if (parse.GetValue(reissueCa)) args.Add("--Kiln:AdobeHosts:ReissueCa=true");
            if (parse.GetValue(logFormat) is { Length: > 0 } lf) args.Add($"--{TelemetrySetup.LogFormatKey}={lf}");
            if (parse.GetValue(otlp) is { Length: > 0 } ep) args.Add($"--{TelemetrySetup.OtlpEndpointKey}={ep}");
            if (parse.GetValue(metricsUrls) is { Length: > 0 } mu) args.Add($"--{MetricsAccess.Section}:Urls={mu}");
            try
            {
                await using var app = KilnApp.Build([.. args]);
                // Before the host starts, so that a refusal is one line on stderr rather than the host's failure log.
                KilnInitializer.PrepareData(app.Services.GetRequiredService<IOptions<KilnOptions>>().Value, app.Services.GetRequiredService<KeyEncryption>(),
                    app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(KilnInitializer).FullName!));
                await app.RunAsync();
            }
            catch (Exception e) when (e is KeyEncryptionException or DataDirectoryException or OptionsValidationException or KilnCaException)
            {
                // Refused to start (docs/security.md#keys-at-rest): the reason, not a stack trace.
                System.Console.Error.WriteLine("error: " + e.Message);
                return 1;
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AccessDenied }
                || e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AccessDenied })
            {
                // Port 443 (the --adobe-hosts default) is privileged on Linux (docs/adobe-hosts.md#https-listener).
                System.Console.Error.WriteLine($"error: {e.Message} (permission denied). Ports below 1024 need root or CAP_NET_BIND_SERVICE; or choose --https-port 8443.");
                return 1;
            }
            return 0;
        });
        return cmd;
    }
}
