using System.Net;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// A project's audit view (docs/console-ui.md#audit-log): records carry their project, so the view (page and CSV) keeps a
/// credential's records after the credential is deleted, and never shows another project's.
/// </summary>
public sealed class ProjectAuditTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private sealed record Made(string ProjectId, string WorkspaceId, string CredentialId);

    /// <summary>A project with a credential that gets a second secret and is then deleted, all over the REST API.</summary>
    private static async Task<Made> ProjectWithDeletedCredentialAsync(HttpClient http, string orgId, string project, string credential)
    {
        var (pid, wid) = await http.NewProjectAsync(orgId, project);
        var cred = await http.NewCredentialAsync(orgId, pid, wid, credential, "FireflyAPI");
        var id = cred.GetProperty("id").GetString()!;
        await HttpAssert.JsonAsync(await http.PostEmptyAsync($"/console/organizations/{orgId}/credentials/{id}/secrets"), 201);
        await HttpAssert.JsonAsync(await http.DeleteAsync($"/console/organizations/{orgId}/projects/{pid}/workspaces/{wid}/credentials/{id}"), 200);
        return new Made(pid, wid, id);
    }

    private async Task<UiSession> AdminAsync()
    {
        var password = (await File.ReadAllTextAsync(Path.Combine(_kiln.DataDir, "admin-password"))).Trim();
        return await UiSession.SignInAsync(_kiln.BaseAddress, "admin@kiln.local", password);
    }

    /// <summary>The project view's CSV as (action, target) rows.</summary>
    private static async Task<List<(string Action, string Target)>> CsvAsync(UiSession ui, string orgId, string projectId)
    {
        using var res = await ui.GetAsync($"/console/audit/{orgId}/export.csv?project={projectId}");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        var lines = (await res.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("when_utc,actor_type,actor,actor_name,action,summary,target,detail,source_ip,count", lines[0]);
        return lines.Skip(1).Select(Cells).Select(c => (c[4], c[6])).ToList();
    }

    /// <summary>One CSV line's cells (RFC 4180 quoting; the records here hold no line breaks).</summary>
    private static List<string> Cells(string line)
    {
        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted && ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
            else if (ch == '"') quoted = !quoted;
            else if (ch == ',' && !quoted) { cells.Add(cell.ToString()); cell.Clear(); }
            else cell.Append(ch);
        }
        cells.Add(cell.ToString());
        return cells;
    }

    [Fact]
    public async Task A_deleted_credentials_records_stay_in_its_projects_audit_page_and_csv()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var made = await ProjectWithDeletedCredentialAsync(http, demo.OrgId, "audited", "gone-cred");
        var target = $"credential:{made.CredentialId}";
        using var ui = await AdminAsync();

        var rows = await CsvAsync(ui, demo.OrgId, made.ProjectId);
        var aboutCred = rows.Where(r => r.Target == target || r.Target.StartsWith(target + "/", StringComparison.Ordinal)).Select(r => r.Action).ToList();
        Assert.Equal(["credential.delete", "secret.add", "secret.add", "credential.create"], aboutCred); // newest first; the first secret and the added one
        Assert.Contains(("project.create", $"project:{made.ProjectId}"), rows);
        Assert.Equal(5, rows.Count); // nothing else: the demo project's records and the sign-in are not about this project

        var html = await ui.GetStringAsync($"/console/projects/{demo.OrgId}/{made.ProjectId}/audit");
        Assert.Contains("<code class=\"nowrap\">credential.delete</code>", html, StringComparison.Ordinal);
        Assert.Contains("<code class=\"nowrap\">credential.create</code>", html, StringComparison.Ordinal);
        Assert.Contains("gone-cred", html, StringComparison.Ordinal);
        Assert.Contains("id=\"records-h\">5 records<", html, StringComparison.Ordinal);

        // The page's filters still narrow the project's view.
        var deletes = await ui.GetStringAsync($"/console/projects/{demo.OrgId}/{made.ProjectId}/audit?action=credential.delete");
        Assert.Contains("id=\"records-h\">1 record<", deletes, StringComparison.Ordinal);
        Assert.Contains("<code class=\"nowrap\">credential.delete</code>", deletes, StringComparison.Ordinal);
        Assert.DoesNotContain("<code class=\"nowrap\">secret.add</code>", deletes, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_rest_api_narrows_to_a_project_as_the_view_does_and_refuses_one_the_org_does_not_have()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var mine = await ProjectWithDeletedCredentialAsync(http, demo.OrgId, "rest-mine", "rest-cred");
        await ProjectWithDeletedCredentialAsync(http, demo.OrgId, "rest-other", "other-cred");
        using var ui = await AdminAsync();
        var audit = $"/console/organizations/{demo.OrgId}/audit";

        var rest = (await HttpAssert.JsonAsync(await http.GetAsync($"{audit}?project={mine.ProjectId}"), 200)).EnumerateArray()
            .Select(r => (r.GetProperty("action").GetString()!, r.GetProperty("target").GetString()!)).ToList();
        Assert.Equal(await CsvAsync(ui, demo.OrgId, mine.ProjectId), rest); // the same records, in the same order
        Assert.Equal(5, rest.Count);
        var all = await HttpAssert.JsonAsync(await http.GetAsync(audit), 200);
        Assert.True(all.GetArrayLength() > rest.Count);
        var deletes = await HttpAssert.JsonAsync(await http.GetAsync($"{audit}?project={mine.ProjectId}&action=credential.delete"), 200);
        Assert.Equal($"credential:{mine.CredentialId}", Assert.Single(deletes.EnumerateArray()).GetProperty("target").GetString());

        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"{audit}?project=abc"), 404, "not_found");
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"{audit}?project=999999999"), 404, "not_found");
        var other = await _kiln.CreateOrgAsync(); // another org's project, by its id
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"{audit}?project={other.ProjectId}"), 404, "not_found");
    }

    [Fact]
    public async Task Another_projects_records_stay_out_of_a_projects_view()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var mine = await ProjectWithDeletedCredentialAsync(http, demo.OrgId, "mine", "mine-cred");
        var other = await ProjectWithDeletedCredentialAsync(http, demo.OrgId, "other", "other-cred");
        await HttpAssert.JsonAsync(await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/projects/{other.ProjectId}/workspaces",
            new { name = "Staging" }), 201);
        using var ui = await AdminAsync();

        var mineRows = await CsvAsync(ui, demo.OrgId, mine.ProjectId);
        var otherRows = await CsvAsync(ui, demo.OrgId, other.ProjectId);
        Assert.Equal(5, mineRows.Count);
        Assert.Equal(6, otherRows.Count); // its own five and the workspace
        Assert.DoesNotContain(mineRows, r => r.Target.Contains(other.CredentialId, StringComparison.Ordinal) || r.Target.Contains(other.ProjectId, StringComparison.Ordinal));
        Assert.DoesNotContain(otherRows, r => r.Target.Contains(mine.CredentialId, StringComparison.Ordinal) || r.Target.Contains(mine.ProjectId, StringComparison.Ordinal));
        Assert.Contains(otherRows, r => r.Action == "workspace.create" && r.Target.StartsWith($"project:{other.ProjectId}/workspace:", StringComparison.Ordinal));
        Assert.DoesNotContain(mineRows, r => r.Action == "workspace.create");

        var html = await ui.GetStringAsync($"/console/projects/{demo.OrgId}/{mine.ProjectId}/audit");
        Assert.Contains("mine-cred", html, StringComparison.Ordinal);
        Assert.DoesNotContain("other-cred", html, StringComparison.Ordinal);
        Assert.DoesNotContain("Staging", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quota_and_engine_changes_of_a_project_and_its_credential_are_in_its_view_and_the_orgs_are_not()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var (pid, wid) = await http.NewProjectAsync(demo.OrgId, "limited");
        var cred = (await http.NewCredentialAsync(demo.OrgId, pid, wid, "limited-cred")).GetProperty("id").GetString()!;
        var adminId = await _kiln.CreateUserAsync("quota-admin@example.test", _kiln.DemoOrg(), "admin");
        var admin = await _kiln.UserClientAsync(adminId, _kiln.DemoOrg());
        var org = $"/console/organizations/{demo.OrgId}";
        await HttpAssert.JsonAsync(await admin.PutJsonAsync($"{org}/credentials/{cred}/quotas", new { per_minute = 5 }), 200);
        await HttpAssert.JsonAsync(await admin.PutJsonAsync($"{org}/projects/{pid}/quotas", new { per_day = 50 }), 200);
        await HttpAssert.JsonAsync(await admin.PutJsonAsync($"{org}/quotas", new { per_day = 500 }), 200);
        await HttpAssert.JsonAsync(await admin.PutJsonAsync($"{org}/projects/{pid}/engine", new { engine = "procedural" }), 200);
        await HttpAssert.JsonAsync(await admin.PutJsonAsync($"{org}/engine", new { engine = "procedural" }), 200);
        using var ui = await AdminAsync();

        var rows = await CsvAsync(ui, demo.OrgId, pid);
        Assert.Contains(("quota.set", $"credential:{cred}"), rows);
        Assert.Contains(("quota.set", $"project:{pid}"), rows);
        Assert.Contains(("engine.set", $"project {pid}"), rows);
        Assert.DoesNotContain(rows, r => r.Target.StartsWith("org", StringComparison.Ordinal)); // the org's quota and engine
    }

    [Fact]
    public async Task The_upgrade_gives_existing_records_the_project_of_a_credential_or_project_that_still_exists()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var gone = await ProjectWithDeletedCredentialAsync(http, demo.OrgId, "upgraded", "gone-cred");
        var kept = (await http.NewCredentialAsync(demo.OrgId, gone.ProjectId, gone.WorkspaceId, "kept-cred")).GetProperty("apiKey").GetString()!;
        var org = _kiln.DemoOrg();
        var project = long.Parse(gone.ProjectId, System.Globalization.CultureInfo.InvariantCulture);
        await _kiln.WithDbAsync(async (db, _) =>
        {
            // A failed token attempt names the client id; one for an unknown client has no org.
            db.AuditRecords.Add(Audit.Record(new AuditScope(org, project), DateTimeOffset.UtcNow, "client", kept, "token.failed", kept, "1", "127.0.0.1"));
            db.AuditRecords.Add(Audit.Record(AuditScope.Org(null), DateTimeOffset.UtcNow, "client", "nobody", "token.failed", "nobody", "1", "127.0.0.1"));
            await db.SaveChangesAsync();
            return 0;
        });
        var before = await ProjectsAsync();
        Assert.Contains(before, r => r.Target == $"credential:{gone.CredentialId}" && r.ProjectId == project); // written by this version

        // The schema before the column, then the upgrade: its data step fills what it can find.
        await _kiln.WithDbAsync(async (db, _) =>
        {
            var all = db.Database.GetMigrations().ToList();
            var at = all.FindIndex(m => m.EndsWith("_AuditProjectId", StringComparison.Ordinal));
            var migrator = db.GetService<IMigrator>();
            await migrator.MigrateAsync(all[at - 1]);
            await migrator.MigrateAsync(all[^1]);
            return 0;
        });
        var after = await ProjectsAsync();
        Assert.Equal(before.Count, after.Count);
        foreach (var r in after)
        {
            var expected = r.Target.StartsWith($"credential:{gone.CredentialId}", StringComparison.Ordinal) || r.OrgId is null
                ? null // about a credential deleted before the upgrade: unknown
                : before.Single(b => b.Id == r.Id).ProjectId; // all else as this version writes it
            Assert.True(expected == r.ProjectId, $"{r.Action} {r.Target}: project {r.ProjectId}, expected {expected}");
        }
        Assert.Contains(after, r => r.Action == "token.failed" && r.Target == kept && r.ProjectId == project);
        Assert.Contains(after, r => r.Action == "project.create" && r.ProjectId == project);
        Assert.Contains(after, r => r.Action == "secret.add" && r.ProjectId == project && r.Target.StartsWith("credential:", StringComparison.Ordinal)); // kept-cred's
        Assert.Contains(after, r => r.Action == "bootstrap" && r.ProjectId == long.Parse(demo.ProjectId, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains(after, r => r.Target == $"credential:{gone.CredentialId}" && r.ProjectId is null);
    }

    private Task<List<AuditRecord>> ProjectsAsync() =>
        _kiln.WithDbAsync(async (db, _) => await db.AuditRecords.AsNoTracking().OrderBy(a => a.Id).ToListAsync());
}
