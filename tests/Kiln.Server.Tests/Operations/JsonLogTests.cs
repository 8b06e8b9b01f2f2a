using System.Net;
using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Hosting.Telemetry;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kiln.Server.Tests.Operations;

/// <summary>docs/operations.md#structured-logs: <c>kiln serve --log-format json</c> writes one JSON object per line.</summary>
public sealed class JsonLogTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-jsonlog-").FullName;
    private KilnProcess? _kiln;

    public Task InitializeAsync() => Task.CompletedTask;

    // IAsyncLifetime, not IAsyncDisposable: xunit 2 disposes test classes only through IDisposable or IAsyncLifetime,
    // and a `kiln serve` child left running outlives the test run.
    public async Task DisposeAsync()
    {
        if (_kiln is not null) await _kiln.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Every_line_of_kiln_serve_with_json_logs_is_a_json_object_and_requests_carry_their_ids()
    {
        _kiln = await KilnProcess.StartAsync(Path.Combine(_dir, "data"), env: new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Debug" },
            extraArgs: ["--log-format", "json"]);
        var demo = JsonSerializer.Deserialize<Kiln.Server.Hosting.DemoCredential>(await File.ReadAllTextAsync(Path.Combine(_kiln.DataDir, "demo-credential.json")))!;
        using var http = new HttpClient { BaseAddress = new Uri(_kiln.BaseUrl) };
        // A refused secret is logged (with its client id, never the secret) inside the request.
        using var refused = await http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = demo.ClientId, ["client_secret"] = "kiln_s2s_notthesecretatall0000000000",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var requestId = refused.Headers.GetValues("x-request-id").Single();
        using (await http.GetAsync("/no/such/route")) { }
        await _kiln.StopAsync();

        var lines = _kiln.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length >= 5, "too few log lines:\n" + _kiln.Output);
        var objects = lines.Select(line =>
        {
            try { return JsonDocument.Parse(line).RootElement.Clone(); }
            catch (JsonException) { Assert.Fail("not a JSON line: " + line); throw; }
        }).ToList();
        Assert.All(objects, o =>
        {
            Assert.Equal(JsonValueKind.Object, o.ValueKind);
            foreach (var field in new[] { "timestamp", "level", "category", "message" }) Assert.True(o.TryGetProperty(field, out _), $"no {field}: {o}");
            Assert.DoesNotContain(demo.ClientSecret, o.ToString(), StringComparison.Ordinal);
        });
        var rejected = Assert.Single(objects, o => o.GetProperty("message").GetString()!.StartsWith("Rejected client_secret", StringComparison.Ordinal));
        Assert.Equal(requestId, rejected.GetProperty("request_id").GetString());
        Assert.Equal(requestId, rejected.GetProperty("trace_id").GetString()); // no x-request-id sent: the trace id answers
        Assert.Equal(demo.ClientId, rejected.GetProperty("fields").GetProperty("ClientId").GetString());
        Assert.DoesNotContain("notthesecret", _kiln.Output, StringComparison.Ordinal);
        Assert.Contains(objects, o => o.GetProperty("message").GetString()!.StartsWith("Demo credential written to", StringComparison.Ordinal));
    }

    [Fact]
    public void A_line_inside_a_gated_request_names_its_org_and_client()
    {
        var ctx = new DefaultHttpContext { TraceIdentifier = "req-1" };
        ctx.Items[ImsCaller.ItemKey] = new ImsCaller("jti", "client-abc", 1, "s", 42, "code@KilnOrg", "u", new HashSet<string>(), DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);
        var formatter = new JsonLogFormatter(new HttpContextAccessor { HttpContext = ctx });
        using var writer = new StringWriter();
        var state = new List<KeyValuePair<string, object?>> { new("Count", 3), new("{OriginalFormat}", "Did {Count} things") };
        formatter.Write(new LogEntry<List<KeyValuePair<string, object?>>>(LogLevel.Warning, "Kiln.Test", new EventId(7), state, null, (s, _) => "Did 3 things"),
            new LoggerExternalScopeProvider(), writer);
        var text = writer.ToString();
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.Single(text.TrimEnd('\n').Split('\n'));
        var o = JsonDocument.Parse(text).RootElement;
        Assert.Equal("warning", o.GetProperty("level").GetString());
        Assert.Equal("Kiln.Test", o.GetProperty("category").GetString());
        Assert.Equal("Did 3 things", o.GetProperty("message").GetString());
        Assert.Equal("req-1", o.GetProperty("request_id").GetString());
        Assert.Equal("42", o.GetProperty("org_id").GetString());
        Assert.Equal("client-abc", o.GetProperty("client_id").GetString());
        Assert.Equal("3", o.GetProperty("fields").GetProperty("Count").GetString());
    }
}
