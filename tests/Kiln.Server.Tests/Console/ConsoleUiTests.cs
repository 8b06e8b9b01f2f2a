using System.Net;
using System.Text.RegularExpressions;
using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// The console UI over plain HTTP (docs/console-ui.md#pages, docs/console-ui.md#forms-and-notices): its small defects,
/// and notices that are the server's, bound to one session, protected at rest and shown once.
/// </summary>
public sealed partial class ConsoleUiTests : IAsyncLifetime
{
    private readonly KilnFactory _kiln = new();
    private UiSession _ui = null!;
    private HttpClient _user = null!;
    private string _org = null!, _project = null!, _cred = null!;

    public async Task InitializeAsync()
    {
        var demo = _kiln.Start();
        (_org, _project, _cred) = (demo.OrgId, demo.ProjectId, demo.CredentialId);
        var admin = await _kiln.CreateUserAsync("ui@example.com", _kiln.DemoOrg(), "admin");
        _user = await _kiln.UserClientAsync(admin, _kiln.DemoOrg());
        _ui = await UiSession.SignInAsync(_kiln.BaseAddress, "ui@example.com");
    }

    public Task DisposeAsync()
    {
        _ui.Dispose();
        _user.Dispose();
        _kiln.Dispose();
        return Task.CompletedTask;
    }

    private string CredentialPage => UiSession.CredentialPage(_org, _project, _cred);

    private async Task<string> PageAsync(string path) => WebUtility.HtmlDecode(await _ui.GetStringAsync(path));

    [GeneratedRegex(@"\d{2}:\d{2}:\d{2}\.\d{3}")]
    private static partial Regex Milliseconds();

    [GeneratedRegex(@"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC")]
    private static partial Regex OneTimeFormat();

    [Fact]
    public async Task A_secret_is_shown_with_one_ellipsis_in_the_table_and_the_delete_heading()
    {
        var html = await PageAsync(CredentialPage);
        Assert.DoesNotContain("……", html, StringComparison.Ordinal);
        var uuid = Regex.Match(html, "data-uuid=\"(?<u>[0-9a-f]{32})\"").Groups["u"].Value;
        var hint = Regex.Match(html, "<code>(?<h>kiln_s2s_[^<]{4}…)</code>").Groups["h"].Value;
        Assert.NotEmpty(hint);
        var delete = await PageAsync(UiSession.DeleteSecretPage(_org, _project, _cred, uuid));
        Assert.Contains($"<code>{hint}</code></h1>", delete, StringComparison.Ordinal);
        Assert.DoesNotContain("……", delete, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_write_times_one_way_and_counts_without_parentheses()
    {
        var credential = await PageAsync(CredentialPage);
        Assert.DoesNotMatch(Milliseconds(), credential);
        Assert.Matches(OneTimeFormat(), credential);
        var projects = await PageAsync($"/console/projects/{_org}");
        Assert.Contains(">1 project</h2>", projects, StringComparison.Ordinal);
        Assert.DoesNotContain("(s)", projects, StringComparison.Ordinal);
        Assert.DoesNotContain("(s)", await PageAsync($"/console/members/{_org}"), StringComparison.Ordinal);
        Assert.DoesNotContain("(s)", await PageAsync($"/console/projects/{_org}/{_project}/delete"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_favicon_is_served()
    {
        using var anon = new HttpClient { BaseAddress = _kiln.BaseAddress };
        using var res = await anon.GetAsync("/favicon.ico");
        Assert.Equal(HttpStatusCode.OK, res.StatusCode);
        Assert.Equal("image/x-icon", res.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new byte[] { 0, 0, 1, 0 }, (await res.Content.ReadAsByteArrayAsync())[..4]);
    }

    [Fact]
    public async Task A_redirect_to_sign_in_says_why()
    {
        using var anon = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _kiln.BaseAddress };
        using var res = await anon.GetAsync($"/console/projects/{_org}");
        Assert.Equal(HttpStatusCode.Redirect, res.StatusCode);
        var to = res.Headers.Location!.OriginalString;
        Assert.Contains("reason=signin", to, StringComparison.Ordinal);
        Assert.Contains("Sign in to open that page.", WebUtility.HtmlDecode(await anon.GetStringAsync(to)), StringComparison.Ordinal);

        // A cookie whose session is gone: the page says the session ended.
        using var stale = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _kiln.BaseAddress };
        using var req = new HttpRequestMessage(HttpMethod.Get, $"/console/projects/{_org}");
        req.Headers.Add("Cookie", "kiln.console=not-a-session");
        using var ended = await stale.SendAsync(req);
        Assert.Contains("reason=ended", ended.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Contains("Your session has ended", WebUtility.HtmlDecode(await anon.GetStringAsync(ended.Headers.Location.OriginalString)),
            StringComparison.Ordinal);
        // The reason is one of the page's own sentences: anything else in the URL says nothing.
        Assert.DoesNotContain("Call us", await anon.GetStringAsync("/console/login?reason=Call+us"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_secret_is_disabled_at_the_limit_with_the_reason()
    {
        Assert.DoesNotMatch("<button type=\"submit\" class=\"secondary\" disabled[^>]*>Add secret", await PageAsync(CredentialPage));
        using var added = await _user.PostAsync($"/console/organizations/{_org}/credentials/{_cred}/secrets", null);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var html = await PageAsync(CredentialPage);
        Assert.Matches("<button type=\"submit\" class=\"secondary\" disabled[^>]*>Add secret", html);
        Assert.Contains("the limit: delete one before adding another", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_project_description_is_shown_and_editable()
    {
        var overview = $"/console/projects/{_org}/{_project}/overview";
        using var res = await _ui.PostAsync(overview, "rename-project", await _ui.TokenAsync(overview),
            ("Rename.Name", "demo"), ("Rename.Title", "Demo project"), ("Rename.Description", "Images for the shop"));
        Assert.Equal(HttpStatusCode.Redirect, res.StatusCode);
        Assert.Contains("<dd id=\"project-description\">Images for the shop</dd>", await PageAsync(overview), StringComparison.Ordinal);
        Assert.Contains("Images for the shop", await PageAsync($"/console/projects/{_org}"), StringComparison.Ordinal);
        var rest = await HttpAssert.JsonAsync(await _user.GetAsync($"/console/organizations/{_org}/projects/{_project}"), 200);
        Assert.Equal("Images for the shop", rest.GetProperty("description").GetString());
    }

    [Fact]
    public async Task A_notice_is_protected_at_rest_bound_to_its_session_and_shown_once()
    {
        using var res = await _ui.PostAsync(CredentialPage, "add-secret", await _ui.TokenAsync(CredentialPage));
        Assert.Equal(HttpStatusCode.Redirect, res.StatusCode);
        Assert.DoesNotContain("kiln_s2s_", res.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.DoesNotContain(res.Headers.TryGetValues("Set-Cookie", out var set) ? set : [], c => c.Contains("notice", StringComparison.OrdinalIgnoreCase));
        using (var scope = _kiln.Services.CreateScope())
        {
            var row = Assert.Single(await scope.ServiceProvider.GetRequiredService<KilnDb>().WebNotices.ToListAsync());
            Assert.DoesNotContain("kiln_s2s_", row.Payload, StringComparison.Ordinal);
        }

        // Another session (the same user in another browser) does not get it; this one does, once.
        using var other = await UiSession.SignInAsync(_kiln.BaseAddress, "ui@example.com");
        Assert.DoesNotContain("new-secret-value", await other.GetStringAsync(CredentialPage), StringComparison.Ordinal);
        var secret = Regex.Match(await PageAsync(CredentialPage), "id=\"new-secret-value\">(?<s>kiln_s2s_[^<]+)<").Groups["s"].Value;
        Assert.NotEmpty(secret);
        Assert.DoesNotContain(secret, await PageAsync(CredentialPage), StringComparison.Ordinal);
        using (var scope = _kiln.Services.CreateScope())
            Assert.Empty(await scope.ServiceProvider.GetRequiredService<KilnDb>().WebNotices.ToListAsync());
    }
}
