using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Operations;

/// <summary>docs/operations.md#observability: <c>kiln serve --otlp-endpoint</c> exports traces and metrics with OTLP.</summary>
public sealed class OtlpExportTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-otlp-").FullName;
    private readonly TinyHttpServer _collector = new(_ => (200, null, []));
    private KilnProcess? _kiln;

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xunit 2 disposes test classes only through IDisposable or IAsyncLifetime,
    // and a `kiln serve` child left running outlives the test run.
    public async Task DisposeAsync()
    {
        if (_kiln is not null) await _kiln.DisposeAsync();
        _collector.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Traces_and_metrics_reach_the_otlp_endpoint_given_on_the_command_line()
    {
        _kiln = await KilnProcess.StartAsync(Path.Combine(_dir, "data"), env: new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        }, extraArgs: ["--otlp-endpoint", $"http://127.0.0.1:{_collector.Port}"]);
        using var http = new HttpClient { BaseAddress = new Uri(_kiln.BaseUrl) };
        using (await http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }))) { }

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(_collector.Hits.Contains("/v1/traces") && _collector.Hits.Contains("/v1/metrics")))
        {
            Assert.True(DateTime.UtcNow < deadline, "OTLP export not seen; requests: " + string.Join(", ", _collector.Hits));
            await Task.Delay(100);
        }
    }
}
