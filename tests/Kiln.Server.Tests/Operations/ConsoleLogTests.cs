using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Operations;

/// <summary>
/// docs/operations.md#structured-logs: the default console format of <c>kiln serve</c> names each line's trace id (the
/// <c>x-request-id</c> a client was answered, or the one in <c>traceresponse</c> when it chose its own), and a job's
/// lines name the job run's trace and the submitting request's.
/// </summary>
public sealed partial class ConsoleLogTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-consolelog-").FullName;
    private KilnProcess? _kiln;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_kiln is not null) await _kiln.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task Kiln_serve_console_lines_carry_the_trace_id_of_their_request_and_of_their_job()
    {
        _kiln = await KilnProcess.StartAsync(Path.Combine(_dir, "data"), env: new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Debug" });
        var demo = JsonSerializer.Deserialize<Kiln.Server.Hosting.DemoCredential>(await File.ReadAllTextAsync(Path.Combine(_kiln.DataDir, "demo-credential.json")))!;
        using var http = new HttpClient { BaseAddress = new Uri(_kiln.BaseUrl) };

        // A refused token request: logged inside the request, with the trace id that x-request-id answered.
        using var refused = await http.PostAsync("/ims/token/v3", Form(demo.ClientId, "kiln_s2s_notthesecretatall0000000000"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var traceId = refused.Headers.GetValues("x-request-id").Single();
        Assert.Matches("^[0-9a-f]{32}$", traceId);

        // The same with the client's own x-request-id: the line names both, the trace id from traceresponse.
        using var own = new HttpRequestMessage(HttpMethod.Post, "/ims/token/v3") { Content = Form(demo.ClientId, "kiln_s2s_notthesecretatall1111111111") };
        own.Headers.Add("x-request-id", "support-ticket-42");
        using var ownRes = await http.SendAsync(own);
        Assert.Equal(HttpStatusCode.BadRequest, ownRes.StatusCode);
        var ownTrace = ownRes.Headers.GetValues("traceresponse").Single().Split('-')[1];

        // An async generate: its job logs under the run's own trace, and names the submit's.
        using var tokenRes = await http.PostAsync("/ims/token/v3", Form(demo.ClientId, demo.ClientSecret, KilnFactory.FireflyScopes));
        var token = (await HttpAssert.JsonAsync(tokenRes, 200)).GetProperty("access_token").GetString()!;
        using var api = new HttpClient { BaseAddress = new Uri(_kiln.BaseUrl) };
        api.DefaultRequestHeaders.Add("x-api-key", demo.ClientId);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var submit = await api.PostRawAsync("/v3/images/generate-async", """{"prompt":"a fox","size":{"width":1024,"height":1024}}""");
        var accepted = await HttpAssert.JsonAsync(submit, 202);
        var submitTrace = submit.Headers.GetValues("x-request-id").Single();
        var jobId = accepted.GetProperty("jobId").GetString()!;
        await FireflyKit.PollAsync(api, accepted.GetProperty("statusUrl").GetString()!, j => j.GetProperty("status").GetString() == "succeeded");
        await _kiln.StopAsync();

        var lines = _kiln.Output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        string HeaderOf(string message)
        {
            var i = lines.FindIndex(l => l.TrimStart().StartsWith(message, StringComparison.Ordinal));
            Assert.True(i > 0, $"no line '{message}' in:\n{_kiln.Output}");
            return lines[i - 1]; // the simple layout: "level: category[event] ids", then the message indented
        }

        var rejected = HeaderOf($"Rejected client_secret for client {demo.ClientId}");
        Assert.StartsWith("info: Kiln.Server.Ims.", rejected, StringComparison.Ordinal);
        Assert.Contains($" trace_id={traceId}", rejected, StringComparison.Ordinal);
        Assert.DoesNotContain("request_id=", rejected, StringComparison.Ordinal); // the same as the trace id: said once

        var ownLines = lines.Where(l => l.Contains("request_id=support-ticket-42", StringComparison.Ordinal)).ToList();
        Assert.Contains(ownLines, l => l.Contains($" trace_id={ownTrace}", StringComparison.Ordinal));

        var started = HeaderOf($"Job {jobId} started (attempt 1); submitted in trace {submitTrace}");
        var jobTrace = TraceIdPattern().Match(started);
        Assert.True(jobTrace.Success, "no trace id on the job's line: " + started);
        Assert.NotEqual(submitTrace, jobTrace.Groups[1].Value); // the run is its own trace, linked to the submit's
        Assert.Contains($" org_id={demo.OrgId} client_id={demo.ClientId} job_id={jobId}", started, StringComparison.Ordinal);

        Assert.DoesNotContain("notthesecret", _kiln.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(token[..40], _kiln.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\x1B[", _kiln.Output, StringComparison.Ordinal); // no colours when the output is not a terminal
    }

    private static FormUrlEncodedContent Form(string clientId, string secret, string? scope = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };
        if (scope is not null) form["scope"] = scope;
        return new FormUrlEncodedContent(form);
    }

    [GeneratedRegex(" trace_id=([0-9a-f]{32})")]
    private static partial Regex TraceIdPattern();
}
