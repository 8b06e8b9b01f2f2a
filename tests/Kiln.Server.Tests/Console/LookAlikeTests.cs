using System.Net;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// Names and emails that look alike are one name (NFC, emails without case), and text that hides characters is
/// refused (docs/security.md#look-alike-names-and-accounts), through the REST API and the UI alike.
/// </summary>
public sealed class LookAlikeTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    /// <summary>Zero-width space and joiners, soft hyphen, no-break spaces, bidi override and isolate, word joiner, BOM, LRM.</summary>
    public static TheoryData<string> Hidden => new()
    {
        "\u200B", "\u200C", "\u200D", "\u00AD", "\u00A0", "\u202F", "\u202E", "\u2067", "\u2060", "\uFEFF", "\u200E", "\u3164",
    };

    [Theory]
    [MemberData(nameof(Hidden))]
    public async Task Emails_with_hidden_characters_are_refused(string hidden)
    {
        var demo = _kiln.Start();
        var http = await _kiln.UserClientAsync(await _kiln.CreateUserAsync("boss@example.com", _kiln.DemoOrg(), "admin"), _kiln.DemoOrg());
        using var res = await http.PostJsonAsync($"/console/organizations/{demo.OrgId}/members", new { email = $"admin{hidden}@kiln.local", role = "admin" });
        await HttpAssert.GatewayErrorAsync(res, 400, "bad_request");
        Assert.Equal(2, await _kiln.WithDbAsync((db, _) => Task.FromResult(db.Users.Count())));
    }

    [Fact]
    public async Task Emails_that_differ_only_in_case_or_composition_are_one_account()
    {
        var demo = _kiln.Start();
        var other = await _kiln.CreateOrgAsync();
        var admin = await _kiln.CreateUserAsync("boss@example.com", _kiln.DemoOrg(), "admin");
        await _kiln.WithDbAsync(async (db, _) =>
        {
            db.OrgMemberships.Add(new Kiln.Server.Data.OrgMembership { OrgId = other.OrgId, UserId = admin, Role = "admin", CreatedAt = DateTimeOffset.UtcNow });
            return await db.SaveChangesAsync();
        });
        var inDemo = await _kiln.UserClientAsync(admin, _kiln.DemoOrg());
        var inOther = await _kiln.UserClientAsync(admin, other.OrgId);

        // The first admin, in upper case: the same account, already a member.
        await HttpAssert.GatewayErrorAsync(await inDemo.PostJsonAsync($"/console/organizations/{demo.OrgId}/members",
            new { email = "ADMIN@Kiln.Local", role = "developer" }), 409, "member_exists");

        // "rené" decomposed makes an account; "RENÉ" precomposed is that account, not a second one.
        var made = await HttpAssert.JsonAsync(await inDemo.PostJsonAsync($"/console/organizations/{demo.OrgId}/members",
            new { email = "rene\u0301@example.com", role = "developer" }), 201);
        Assert.Equal("ren\u00E9@example.com", made.GetProperty("email").GetString());
        var again = await HttpAssert.JsonAsync(await inOther.PostJsonAsync($"/console/organizations/{other.OrgId}/members",
            new { email = "REN\u00C9@example.com", role = "developer" }), 201);
        Assert.Equal(made.GetProperty("user_id").GetString(), again.GetProperty("user_id").GetString());
        Assert.False(again.TryGetProperty("password", out var pw) && pw.ValueKind == System.Text.Json.JsonValueKind.String, "no new account");
    }

    [Theory]
    [MemberData(nameof(Hidden))]
    public async Task Titles_descriptions_and_credential_names_with_hidden_characters_are_refused(string hidden)
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var projects = $"/console/organizations/{demo.OrgId}/projects";
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync(projects,
            new { name = "p1", title = $"Pay{hidden}roll", description = "d", type = "default" }), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync(projects,
            new { name = "p2", title = "Payroll", description = $"exe.{hidden}gpj", type = "default" }), 400, "bad_request");
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync($"{projects}/{demo.ProjectId}/workspaces",
            new { name = "w1", title = $"Stage{hidden}", description = "d" }), 400, "bad_request");
        using var cred = await http.PostJsonAsync($"{projects}/{demo.ProjectId}/workspaces/{demo.WorkspaceId}/credentials/oauth-server-to-server",
            new { name = $"Billing{hidden}", description = "d", services = Array.Empty<object>() });
        await HttpAssert.GatewayErrorAsync(cred, 400, "bad_request");
    }

    [Fact]
    public async Task Credential_names_that_differ_only_in_composition_are_one_name()
    {
        var demo = _kiln.Start();
        var http = await _kiln.DemoConsoleAsync();
        var url = $"/console/organizations/{demo.OrgId}/projects/{demo.ProjectId}/workspaces/{demo.WorkspaceId}/credentials/oauth-server-to-server";
        var first = await HttpAssert.JsonAsync(await http.PostJsonAsync(url, new { name = "Caf\u00E9", description = "d", services = Array.Empty<object>() }), 200);
        Assert.NotNull(first.GetProperty("id").GetString());
        await HttpAssert.GatewayErrorAsync(await http.PostJsonAsync(url, new { name = "Cafe\u0301", description = "d", services = Array.Empty<object>() }),
            409, "ERR_MSG_DUPLICATE_NAME");
    }

    [Fact]
    public async Task The_console_ui_refuses_a_title_with_a_bidi_override()
    {
        var demo = _kiln.Start();
        await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        using var ui = await UiSession.SignInAsync(_kiln.BaseAddress, "dev@example.com");
        var page = $"/console/projects/{demo.OrgId}";
        var token = await ui.TokenAsync(page);
        using var res = await ui.PostAsync(page, "create-project", token, ("Create.Name", "sneaky"), ("Create.Title", "invoice\u202Efdp.exe"));
        Assert.Equal(HttpStatusCode.BadRequest, res.StatusCode);
        Assert.Contains("must not contain control, invisible or direction-changing characters", WebUtility.HtmlDecode(await res.Content.ReadAsStringAsync()),
            StringComparison.Ordinal);
    }
}
