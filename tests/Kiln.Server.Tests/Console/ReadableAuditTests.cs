using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Tests.SignIn;
using Kiln.Server.Web;

namespace Kiln.Server.Tests.Console;

/// <summary>The audit log as a person reads it: names, sentences, sign-ins, filters and CSV (docs/console-ui.md#audit-log).</summary>
public sealed class ReadableAuditTests : IDisposable
{
    private const string WrongPassword = "not-the-password-7f3a";
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private async Task<JsonElement> AuditAsync(string query)
    {
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        return await http.GetFromJsonAsync<JsonElement>($"/console/organizations/{_kiln.Demo.OrgId}/audit?{query}");
    }

    [Fact]
    public async Task Sign_in_failed_sign_in_and_sign_out_are_audited_without_the_password()
    {
        var demo = _kiln.Start();
        await _kiln.CreateUserAsync("bob@example.test", _kiln.DemoOrg());

        using (var form = new LoginForm(_kiln.BaseAddress))
            Assert.Equal(HttpStatusCode.Unauthorized, await form.SignInAsync("  Bob@Example.TEST ", WrongPassword));
        using (var ui = await UiSession.SignInAsync(_kiln.BaseAddress, "bob@example.test"))
        {
            var token = await ui.TokenAsync($"/console/audit/{demo.OrgId}");
            using var res = await ui.PostAsync("/console/logout", "logout", token);
            Assert.Equal(HttpStatusCode.Redirect, res.StatusCode);
        }

        var rows = await AuditAsync("action=user.sign");
        Assert.Equal(["user.signout", "user.signin", "user.signin_failed"], rows.EnumerateArray().Select(r => r.GetProperty("action").GetString()!).ToList());
        Assert.All(rows.EnumerateArray(), r =>
        {
            Assert.Equal("bob@example.test", r.GetProperty("actor_name").GetString()); // not "<id>@kiln.local"
            Assert.Equal("127.0.0.1", r.GetProperty("source_ip").GetString());
        });
        var failed = rows[2];
        Assert.Equal("bob@example.test", failed.GetProperty("detail").GetString()); // the attempted email, normalized
        Assert.Equal("Failed to sign in to the console as bob@example.test: wrong email or password.", failed.GetProperty("summary").GetString());
        Assert.Equal("Signed in to the console.", rows[1].GetProperty("summary").GetString());
        Assert.Equal("Signed out of the console.", rows[0].GetProperty("summary").GetString());
        Assert.DoesNotContain(WrongPassword, rows.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("password-123", rows.GetRawText(), StringComparison.Ordinal);

        // The actor filter takes the email; a date range that ends yesterday finds nothing.
        Assert.Equal(3, (await AuditAsync("action=user.sign&actor=Bob@Example.test")).GetArrayLength());
        Assert.Equal(0, (await AuditAsync("action=user.sign&until=" + DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeMilliseconds())).GetArrayLength());
    }

    [Fact]
    public async Task Details_read_as_sentences_with_names_not_ids()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        var created = await HttpAssert.JsonAsync(await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server",
            new { name = "walkcred", description = "walks" }), 201);
        var credId = created.GetProperty("id").GetString();
        await HttpAssert.JsonAsync(await http.PatchAsJsonAsync(
            $"/console/organizations/{demo.OrgId}/credentials/oauth-server-to-server/{credId}/service/subscribe", new { sdkCode = "FireflyAPI" }), 200);

        var rows = (await AuditAsync("action=credential.")).EnumerateArray().ToList();
        var summaries = rows.Select(r => r.GetProperty("summary").GetString()).ToList();
        Assert.Contains("Created credential “walkcred” with no APIs.", summaries); // was "walkcred; services:"
        Assert.Contains("Added the Firefly API to credential “walkcred”; it now has the Firefly API.", summaries); // was "FireflyAPI -> FireflyAPI"
        var demoName = await _kiln.WithDbAsync((db, _) => Task.FromResult(db.Credentials.Single(c => c.ClientId == demo.ClientId).Name));
        Assert.All(rows, r => Assert.Equal(demoName, r.GetProperty("actor_name").GetString()));
        Assert.All(rows, r => Assert.Equal("credential", r.GetProperty("actor_type").GetString())); // the old fields stay
        var byName = (await AuditAsync("actor=" + Uri.EscapeDataString(demoName))).EnumerateArray().ToList(); // the actor filter takes the name
        Assert.NotEmpty(byName);
        Assert.All(byName, r => Assert.Equal(demo.ClientId, r.GetProperty("actor").GetString()));
    }

    [Fact]
    public async Task Csv_export_is_filtered_escaped_and_safe_from_formulas()
    {
        _kiln.Start();
        var adminPassword = (await File.ReadAllTextAsync(Path.Combine(_kiln.DataDir, "admin-password"))).Trim();
        using var ui = await UiSession.SignInAsync(_kiln.BaseAddress, "admin@kiln.local", adminPassword);
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        using var res = await ui.GetAsync($"/console/audit/{_kiln.Demo.OrgId}/export.csv?action=user.sign&from={today}&to={today}");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("text/csv", res.Content.Headers.ContentType?.MediaType);
        Assert.Contains("attachment", res.Content.Headers.ContentDisposition?.ToString() ?? "", StringComparison.Ordinal);
        var lines = (await res.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("when_utc,actor_type,actor,actor_name,action,summary,target,detail,source_ip,count", lines[0]);
        Assert.Equal(2, lines.Length); // the one sign-in; the bootstrap records do not match the action filter
        Assert.Contains(",admin@kiln.local,user.signin,Signed in to the console.,", lines[1], StringComparison.Ordinal);

        // Another org's log is not exported; an empty filter on a past day finds only the header.
        Assert.Equal(HttpStatusCode.NotFound, (await ui.GetAsync("/console/audit/1/export.csv")).StatusCode);
        var past = await (await ui.GetAsync($"/console/audit/{_kiln.Demo.OrgId}/export.csv?to=2000-01-01")).Content.ReadAsStringAsync();
        Assert.Single(past.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal("'=HYPERLINK(\"x\")", AuditExport.Cell("=HYPERLINK(\"x\")").Trim('"').Replace("\"\"", "\"", StringComparison.Ordinal));
        Assert.Equal("\"'=1+2,\"\"x\"\"\"", AuditExport.Cell("=1+2,\"x\""));
        Assert.Equal("'+1", AuditExport.Cell("+1"));
        Assert.Equal("'-1", AuditExport.Cell("-1"));
        Assert.Equal("'@SUM(A1)", AuditExport.Cell("@SUM(A1)"));
        Assert.Equal("\"a\nb\"", AuditExport.Cell("a\nb"));
        Assert.Equal("plain", AuditExport.Cell("plain"));
    }
}
