using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Security;

/// <summary>
/// A representative run with every log category at Trace into the capture sink and every response recorded: no issued
/// secret, access token or password reaches a log line, and each shows up in exactly one response (the one that issued it).
/// ./test.sh adds the suite-wide version: every test's logs, at Debug, scanned for the secret pattern.
/// </summary>
public sealed class SecretsInLogsTests : IDisposable
{
    private readonly KilnFactory _kiln = new KilnFactory()
        .With("Logging:LogLevel:Default", "Trace")
        // Rules for the capture provider beat Kiln's own Warning filters for ASP.NET Core and EF Core: everything, at Trace.
        .With("Logging:" + typeof(LogCapture).FullName + ":LogLevel:Default", "Trace");

    public void Dispose() => _kiln.Dispose();

    /// <summary>What the flow was issued: value → where it was issued (a response, or out of band).</summary>
    private readonly Dictionary<string, string> _issued = new(StringComparer.Ordinal);

    private string Issued(string value, string where)
    {
        _issued[value] = where;
        return value;
    }

    private async Task<string> MintAsync(HttpClient http, string clientId, string secret, string scope)
    {
        using var res = await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret), ("scope", scope));
        var token = (await HttpAssert.JsonAsync(res, 200)).GetProperty("access_token").GetString()!;
        return Issued(token, "POST /ims/token/v3");
    }

    [Fact]
    public async Task No_secret_token_or_password_reaches_a_log_line_or_a_second_response()
    {
        _kiln.RecordResponses = true;
        var demo = _kiln.Start();
        Issued(demo.ClientSecret, "bootstrap file");
        var http = _kiln.Http();
        var org = demo.OrgId;

        // Token mint, including wrong secrets: a near miss, another credential's real secret, the secret as a bearer token.
        var other = await _kiln.SeedCredentialAsync();
        Issued(other.Secret, "seeded in the database");
        await HttpAssert.OAuthErrorAsync(await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret + "x")), 400, "invalid_client");
        await HttpAssert.OAuthErrorAsync(await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", demo.ClientId), ("client_secret", other.Secret)), 400, "invalid_client");
        await HttpAssert.OAuthErrorAsync(await http.PostFormAsync("/ims/token/v3", ("grant_type", "password"), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret)), 400, "unsupported_grant_type");
        using (var asBearer = _kiln.Authed(demo.ClientSecret, demo.ClientId))
            Assert.Equal(401, (int)(await asBearer.GetAsync("/console/organizations")).StatusCode);
        var io = _kiln.Authed(await MintAsync(http, demo.ClientId, demo.ClientSecret, KilnFactory.IoScopes), demo.ClientId);

        // Rotation: add a secret, use it, delete the old one, list.
        var secrets = $"/console/organizations/{org}/credentials/{demo.CredentialId}/secrets";
        var added = await HttpAssert.JsonAsync(await io.PostEmptyAsync(secrets), 201);
        var rotated = Issued(added.GetProperty("client_secret").GetString()!, "POST " + secrets);
        var io2 = _kiln.Authed(await MintAsync(http, demo.ClientId, rotated, KilnFactory.IoScopes), demo.ClientId);
        var list = await HttpAssert.JsonAsync(await io2.GetAsync(secrets), 200);
        var oldUuid = list.GetProperty("client_secrets").EnumerateArray().Select(s => s.GetProperty("uuid").GetString()!).Single(u => u != added.GetProperty("uuid").GetString());
        Assert.Equal(204, (int)(await io2.DeleteAsync($"{secrets}/{oldUuid}")).StatusCode);
        await HttpAssert.OAuthErrorAsync(await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", demo.ClientId), ("client_secret", demo.ClientSecret)), 400, "invalid_client");
        var ff = _kiln.Authed(await MintAsync(http, demo.ClientId, rotated, KilnFactory.FireflyScopes), demo.ClientId);

        // A new credential gets its first secret through the API.
        var (projectId, workspaceId) = await io2.NewProjectAsync(org, "logs");
        var cred = await io2.NewCredentialAsync(org, projectId, workspaceId, "Logs credential", "FireflyAPI");
        var credSecrets = $"/console/organizations/{org}/credentials/{cred.GetProperty("id").GetString()}/secrets";
        var credSecret = Issued((await HttpAssert.JsonAsync(await io2.PostEmptyAsync(credSecrets), 201)).GetProperty("client_secret").GetString()!, "POST " + credSecrets);
        var newFf = _kiln.Authed(await MintAsync(http, cred.GetProperty("apiKey").GetString()!, credSecret, "firefly_api,ff_apis"), cred.GetProperty("apiKey").GetString()!);

        // Users: the device flow, and a member added by an admin (a new account whose password is shown once).
        var adminId = await _kiln.CreateUserAsync("admin@logs.test", _kiln.DemoOrg(), "admin");
        Issued("password-123", "set in the database");
        var admin = _kiln.Authed(Issued(await _kiln.UserTokenAsync(adminId, _kiln.DemoOrg()), "POST /ims/token/v3 (device)"), ConsoleKit.Cli);
        var member = await HttpAssert.JsonAsync(await admin.PostJsonAsync($"/console/organizations/{org}/members", new { email = "new@logs.test", role = "developer" }), 201);
        Issued(member.GetProperty("password").GetString()!, $"POST /console/organizations/{org}/members");

        // Generate (sync and async), an upload, failures, a revoked token.
        await newFf.GenerateOkAsync("/v3/images/generate", """{"prompt":"a lighthouse","size":{"width":1024,"height":1024}}""");
        var job = await HttpAssert.JsonAsync(await ff.PostRawAsync("/v3/images/generate-async", """{"prompt":"a fox","size":{"width":1024,"height":1024}}"""), 202);
        await FireflyKit.PollAsync(ff, job.GetProperty("statusUrl").GetString()!);
        await FireflyKit.UploadAsync(ff, FireflyKit.Image(16, 16));
        Assert.Equal(400, (int)(await ff.PostRawAsync("/v3/images/generate", "{")).StatusCode);
        Assert.Equal(403, (int)(await io2.PostRawAsync("/v3/images/generate", FireflyKit.Cat)).StatusCode);
        Assert.Equal(401, (int)(await io.GetAsync(secrets)).StatusCode); // minted with the deleted secret
        Assert.Equal(200, (int)(await http.PostFormAsync("/ims/invalidate_token/v2", ("token", ff.DefaultRequestHeaders.Authorization!.Parameter!),
            ("client_id", demo.ClientId), ("client_secret", rotated))).StatusCode);
        Assert.Equal(401, (int)(await ff.GetAsync(job.GetProperty("statusUrl").GetString())).StatusCode);

        AssertNothingLeaked();
    }

    private void AssertNothingLeaked()
    {
        var lines = _kiln.Logs.Lines.ToList();
        // ASP.NET Core's and EF Core's own Debug/Trace lines are in (Kiln's filters for them are overridden for the sink).
        Assert.Contains(lines, l => l.StartsWith("Debug Microsoft.AspNetCore", StringComparison.Ordinal) || l.StartsWith("Trace Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Debug Microsoft.EntityFrameworkCore", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Rejected client_secret", StringComparison.Ordinal)); // the wrong secrets were seen by the logger
        var failures = new List<string>();
        foreach (var (value, where) in _issued)
        {
            var hint = $"{value[..Math.Min(12, value.Length)]}… (issued by {where})";
            failures.AddRange(lines.Where(l => l.Contains(value, StringComparison.Ordinal)).Take(3).Select(l => $"log line contains {hint}: {l[..Math.Min(300, l.Length)]}"));
            var shownIn = _kiln.Responses.Where(r => r.Body.Contains(value, StringComparison.Ordinal)).ToList();
            var allowed = where.StartsWith("POST ", StringComparison.Ordinal) ? 1 : 0;
            if (shownIn.Count != allowed || shownIn.Any(r => !where.StartsWith($"{r.Method} {r.Url.Split('?')[0]}", StringComparison.Ordinal)))
                failures.Add($"{hint} appears in {shownIn.Count} responses: {string.Join(", ", shownIn.Select(r => $"{r.Method} {r.Url} {r.Status}"))}");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        var raw = TestDatabase.RawContents(_kiln.DataDir);
        Assert.DoesNotContain(_issued.Keys, v => raw.Contains(v, StringComparison.Ordinal));
    }
}
