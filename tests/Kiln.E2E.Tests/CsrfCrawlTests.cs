using System.Net;
using System.Text.RegularExpressions;
using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.E2E.Tests;

/// <summary>
/// CSRF on every form: crawls the signed-in console, finds every POST form it renders, and replays each one
/// without the anti-forgery token and with a token from another session. Every replay must be refused and
/// change nothing.
/// </summary>
public sealed partial class CsrfCrawlTests
{
    /// <summary>Every POST form the console has (role-… stands for the per-member role forms).</summary>
    private static readonly string[] ExpectedForms =
    [
        "login", "logout", "create-project", "rename-project", "add-credential", "add-api-", "add-secret", "generate-token",
        "delete-secret", "delete-project", "invite", "role-", "remove-member", "device",
        "edit-credential", "delete-credential", "remove-api-", "add-workspace", "rename-workspace", "delete-workspace", "download",
    ];

    [Fact]
    public async Task EveryPostFormRefusesAMissingOrForeignAntiforgeryToken()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        using var victim = new UiClient(kiln.BaseAddress);
        Assert.Equal(HttpStatusCode.Redirect, (await victim.SignInAsync(ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln))).StatusCode);
        // A second member, so the per-member role and removal forms are rendered.
        var invited = await victim.PostFormAsync($"/console/members/{demo.OrgId}", "invite", true, ("Invite.Email", "member@example.test"), ("Invite.Role", "developer"));
        Assert.True(invited.StatusCode is HttpStatusCode.OK or HttpStatusCode.Redirect, $"invite failed: {(int)invited.StatusCode}");
        // A credential without APIs (so "Add API" is offered) and a second workspace (so it can be renamed and deleted).
        var project = $"/console/projects/{demo.OrgId}/{demo.ProjectId}";
        var (_, credPage) = await victim.GetAsync(project + "/credentials");
        var workspaceId = System.Text.RegularExpressions.Regex.Match(credPage, "id=\"c-ws\"[^>]*>\\s*<option value=\"(?<w>\\d+)\"").Groups["w"].Value;
        Assert.Equal(HttpStatusCode.Redirect, (await victim.PostFormAsync(project + "/credentials", "add-credential", true,
            ("AddCredential.Name", "crawl-credential"), ("AddCredential.WorkspaceId", workspaceId))).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await victim.PostFormAsync(project + "/overview", "add-workspace", true, ("AddWorkspace.Name", "crawl-ws"))).StatusCode);

        // The attacker's token: valid, but minted for another browser's anti-forgery cookie.
        using var attacker = new UiClient(kiln.BaseAddress);
        var foreignToken = UiClient.AntiforgeryToken((await attacker.GetAsync("/console/login")).Html);

        var forms = await CrawlAsync(victim, "/console", maxPages: 80);
        using var anonymous = new UiClient(kiln.BaseAddress);
        forms.AddRange(FormsOf("/console/login", (await anonymous.GetAsync("/console/login")).Html));
        // The device page is reached from the CLI's link, not from the menu.
        forms.AddRange(FormsOf("/console/device", (await victim.GetAsync("/console/device")).Html));

        var found = forms.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var missing = ExpectedForms.Where(e => !found.Any(f => f.StartsWith(e, StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0, $"the crawl did not reach these forms: {string.Join(", ", missing)} (found: {string.Join(", ", found)})");

        var before = await SnapshotAsync(kiln);
        foreach (var form in forms)
        {
            var client = form.Name == "login" ? anonymous : victim;
            foreach (var token in new string?[] { null, foreignToken })
            {
                var res = await client.Http.PostAsync(form.Action, new FormUrlEncodedContent(form.Fields(token)));
                Assert.True(res.StatusCode == HttpStatusCode.BadRequest,
                    $"form '{form.Name}' at {form.Action} {(token is null ? "without a token" : "with another session's token")} answered {(int)res.StatusCode}");
            }
        }
        Assert.Equal(before, await SnapshotAsync(kiln));
        // The forged sign-out did not end the session, and the forged sign-in opened none.
        Assert.Equal(HttpStatusCode.OK, (await victim.GetAsync($"/console/projects/{demo.OrgId}")).Response.StatusCode);
        Assert.Null(anonymous.Cookie("kiln.console"));
    }

    private static async Task<string> SnapshotAsync(KilnFactory kiln)
    {
        using var scope = kiln.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        return string.Join(' ',
            await db.Projects.CountAsync(), await db.Workspaces.CountAsync(), await db.Credentials.CountAsync(),
            await db.CredentialServices.CountAsync(), await db.ClientSecrets.CountAsync(), await db.AuditRecords.CountAsync(),
            string.Join(',', await db.Projects.OrderBy(p => p.Id).Select(p => p.Title).ToListAsync()));
    }

    private static async Task<List<PostForm>> CrawlAsync(UiClient ui, string start, int maxPages)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { start };
        var queue = new Queue<string>([start]);
        var forms = new List<PostForm>();
        while (queue.Count > 0 && seen.Count <= maxPages)
        {
            var path = queue.Dequeue();
            var (res, html) = await ui.GetAsync(path);
            if (res.Headers.Location is { } to && new Uri(ui.BaseAddress, to).PathAndQuery is var next
                && next.StartsWith("/console", StringComparison.Ordinal) && seen.Add(next))
                queue.Enqueue(next);
            if (res.StatusCode != HttpStatusCode.OK) continue;
            forms.AddRange(FormsOf(path, html));
            foreach (Match m in Link().Matches(html))
            {
                var href = WebUtility.HtmlDecode(m.Groups["h"].Value);
                if (href.StartsWith("/console", StringComparison.Ordinal) && !href.StartsWith("/console/logout", StringComparison.Ordinal) && seen.Add(href))
                    queue.Enqueue(href);
            }
        }
        // One replay per distinct form (the sign-out form is on every page).
        return forms.DistinctBy(f => (f.Name, f.Action)).ToList();
    }

    private static IEnumerable<PostForm> FormsOf(string page, string html)
    {
        foreach (Match f in Form().Matches(html))
        {
            var attrs = f.Groups["a"].Value;
            if (!Attr(attrs, "method").Equals("post", StringComparison.OrdinalIgnoreCase)) continue;
            var body = f.Groups["b"].Value;
            var fields = new List<KeyValuePair<string, string>>();
            foreach (Match i in Input().Matches(body))
            {
                var name = Attr(i.Value, "name");
                if (name.Length == 0 || name == "__RequestVerificationToken") continue;
                var value = Attr(i.Value, "value");
                fields.Add(new(name, value.Length > 0 ? value : "csrf-probe@example.test"));
            }
            foreach (Match s in Select().Matches(body))
                fields.Add(new(s.Groups["n"].Value, Option().Match(s.Groups["o"].Value) is { Success: true } o ? WebUtility.HtmlDecode(o.Groups["v"].Value) : ""));
            if (Button().Match(body) is { Success: true } b) fields.Add(new(b.Groups["n"].Value, b.Groups["v"].Value));
            var action = Attr(attrs, "action") is { Length: > 0 } a ? a : page;
            var formName = fields.FirstOrDefault(p => p.Key == "_handler").Value ?? Path.GetFileName(action);
            yield return new PostForm(formName, action, fields);
        }
    }

    private static string Attr(string tag, string name) =>
        Regex.Match(tag, $"\\b{name}=\"(?<v>[^\"]*)\"") is { Success: true } m ? WebUtility.HtmlDecode(m.Groups["v"].Value) : "";

    private sealed record PostForm(string Name, string Action, List<KeyValuePair<string, string>> Values)
    {
        public List<KeyValuePair<string, string>> Fields(string? token) =>
            token is null ? [.. Values] : [.. Values, new("__RequestVerificationToken", token)];
    }

    [GeneratedRegex("<form\\b(?<a>[^>]*)>(?<b>.*?)</form>", RegexOptions.Singleline)]
    private static partial Regex Form();

    [GeneratedRegex("<input\\b[^>]*>", RegexOptions.Singleline)]
    private static partial Regex Input();

    [GeneratedRegex("<select\\b[^>]*\\bname=\"(?<n>[^\"]+)\"[^>]*>(?<o>.*?)</select>", RegexOptions.Singleline)]
    private static partial Regex Select();

    [GeneratedRegex("<option\\b[^>]*\\bvalue=\"(?<v>[^\"]*)\"")]
    private static partial Regex Option();

    [GeneratedRegex("<button\\b[^>]*\\bname=\"(?<n>[^\"]+)\"[^>]*\\bvalue=\"(?<v>[^\"]*)\"")]
    private static partial Regex Button();

    [GeneratedRegex("href=\"(?<h>/console[^\"#]*)\"")]
    private static partial Regex Link();
}
