using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Operations;

/// <summary>
/// docs/operations.md#metrics: a real Prometheus (Debian's package) scrapes a running <c>kiln serve</c> on its metrics
/// listener, and its HTTP API sees the token and image counters move after a token request and a generate.
/// <c>/metrics</c> is not on the public listener (404) and refuses callers outside the allowed networks (403) unless
/// they bring the configured token.
/// </summary>
public sealed class PrometheusTests : IAsyncLifetime
{
    private const string MetricsToken = "scrape-token-0123456789abcdef";
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-prom-").FullName;
    private KilnProcess? _kiln;
    private Process? _prometheus;

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xunit 2 disposes test classes only through IDisposable or IAsyncLifetime,
    // and a `kiln serve` child left running outlives the test run.
    public async Task DisposeAsync()
    {
        if (_kiln is not null) await _kiln.DisposeAsync();
        if (_prometheus is { HasExited: false }) _prometheus.Kill(entireProcessTree: true);
        _prometheus?.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Prometheus_sees_token_and_image_counters_move_and_metrics_is_guarded()
    {
        var metricsPort = KilnProcess.FreePort();
        var metricsUrl = $"http://127.0.0.1:{metricsPort}";
        _kiln = await KilnProcess.StartAsync(Path.Combine(_dir, "data"), env: new Dictionary<string, string>
        {
            // Only 127.0.0.1 itself may scrape without the token (Prometheus does); 127.0.0.2 stands for "elsewhere".
            ["Kiln__Metrics__AllowedNetworks"] = "127.0.0.1/32",
            ["Kiln__Metrics__Token"] = MetricsToken,
        }, extraArgs: ["--metrics-urls", metricsUrl]);
        var demo = JsonSerializer.Deserialize<Kiln.Server.Hosting.DemoCredential>(await File.ReadAllTextAsync(Path.Combine(_kiln.DataDir, "demo-credential.json")))!;

        // The guard: nothing on the public listener; 403 from another address without the token, 200 with it.
        using var http = new HttpClient { BaseAddress = new Uri(_kiln.BaseUrl) };
        using (var onPublic = await http.GetAsync("/metrics")) Assert.Equal(HttpStatusCode.NotFound, onPublic.StatusCode);
        using var elsewhere = SourceAddress.ClientFrom("127.0.0.2", new Uri(metricsUrl));
        using (var refused = await elsewhere.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.DoesNotContain("kiln_", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var wrongToken = new HttpRequestMessage(HttpMethod.Get, "/metrics"))
        {
            wrongToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", MetricsToken + "x");
            using var res = await elsewhere.SendAsync(wrongToken);
            Assert.Equal(HttpStatusCode.Forbidden, res.StatusCode);
        }
        using (var withToken = new HttpRequestMessage(HttpMethod.Get, "/metrics"))
        {
            withToken.Headers.Authorization = new AuthenticationHeaderValue("Bearer", MetricsToken);
            using var res = await elsewhere.SendAsync(withToken);
            Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        }

        var promPort = KilnProcess.FreePort();
        StartPrometheus(metricsPort, promPort);
        using var prom = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{promPort}") };
        // Prometheus has scraped Kiln once it knows the render-pool gauge (registered at start).
        await UntilAsync(prom, "max(kiln_render_pool_slots)", v => v >= 1);
        var issuedBefore = await QueryAsync(prom, "sum(kiln_ims_tokens_issued_total)") ?? 0;

        // The seed's token request, a refused one, and a generate.
        using var tokenRes = await http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = demo.ClientId, ["client_secret"] = demo.ClientSecret,
            ["scope"] = "openid,AdobeID,session,additional_info,read_organizations,firefly_api,ff_apis",
        }));
        var token = (await HttpAssert.JsonAsync(tokenRes, 200)).GetProperty("access_token").GetString()!;
        using (var bad = await http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = demo.ClientId, ["client_secret"] = "kiln_s2s_wrong",
        })))
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var gen = new HttpRequestMessage(HttpMethod.Post, "/v3/images/generate")
        {
            Content = new StringContent("""{"prompt":"a cat coding","size":{"width":1024,"height":1024}}""", Encoding.UTF8, "application/json"),
        };
        gen.Headers.Add("x-api-key", demo.ClientId);
        gen.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using (var genRes = await http.SendAsync(gen)) await HttpAssert.JsonAsync(genRes, 200);

        await UntilAsync(prom, "sum(kiln_ims_tokens_issued_total)", v => v >= issuedBefore + 1);
        await UntilAsync(prom, "sum(kiln_ims_tokens_refused_total{reason=\"invalid_secret\"})", v => v >= 1);
        await UntilAsync(prom, "sum(kiln_ims_gate_decisions_total{decision=\"allowed\"})", v => v >= 1);
        await UntilAsync(prom, "sum(kiln_images_request_duration_seconds_count{operation=\"generate\",mode=\"sync\",status=\"200\",engine=\"procedural\"})", v => v >= 1);
        await UntilAsync(prom, "sum(kiln_images_produced_total{operation=\"generate\"})", v => v >= 1);
        // The .NET runtime's metrics are there too.
        await UntilAsync(prom, "count({__name__=~\"dotnet_gc_.*\"})", v => v >= 1);
    }

    private void StartPrometheus(int kilnPort, int promPort)
    {
        var binary = new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("prometheus is not installed (./test.sh installs Debian's package)");
        var config = Path.Combine(_dir, "prometheus.yml");
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: kiln
                metrics_path: /metrics
                static_configs:
                  - targets: ["127.0.0.1:{kilnPort}"]
            """);
        var psi = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--config.file=" + config, "--storage.tsdb.path=" + Path.Combine(_dir, "tsdb"), $"--web.listen-address=127.0.0.1:{promPort}", "--log.level=warn" })
            psi.ArgumentList.Add(a);
        _prometheus = Process.Start(psi)!;
        _prometheus.OutputDataReceived += (_, _) => { };
        _prometheus.ErrorDataReceived += (_, _) => { };
        _prometheus.BeginOutputReadLine();
        _prometheus.BeginErrorReadLine();
    }

    /// <summary>An instant query's single value, or null when the result is empty (or Prometheus is not up yet).</summary>
    private static async Task<double?> QueryAsync(HttpClient prom, string query)
    {
        try
        {
            var body = await prom.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(query));
            var result = JsonDocument.Parse(body).RootElement.GetProperty("data").GetProperty("result");
            return result.GetArrayLength() == 0 ? null : double.Parse(result[0].GetProperty("value")[1].GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (HttpRequestException) { return null; }
    }

    private static async Task UntilAsync(HttpClient prom, string query, Func<double, bool> ok)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        double? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await QueryAsync(prom, query);
            if (last is { } v && ok(v)) return;
            await Task.Delay(250);
        }
        Assert.Fail($"Prometheus query {query} gave {last?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"} after 30 s");
    }
}
