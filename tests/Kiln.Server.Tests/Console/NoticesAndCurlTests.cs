using System.Net;
using System.Text.RegularExpressions;
using Kiln.Server.Hosting;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// docs/security.md: a page's success notice comes from the server, never from the query string; the ready-to-paste
/// token command never holds a secret; /files answers cannot be sniffed or run anything; /docs is never framed.
/// </summary>
public sealed partial class NoticesAndCurlTests : IAsyncLifetime
{
    private readonly KilnFactory _kiln = new();
    private UiSession _ui = null!;
    private HttpClient _user = null!;
    private string _org = null!, _project = null!;

    public async Task InitializeAsync()
    {
        var demo = _kiln.Start();
        (_org, _project) = (demo.OrgId, demo.ProjectId);
        var admin = await _kiln.CreateUserAsync("notices@example.com", _kiln.DemoOrg(), "admin");
        _user = await _kiln.UserClientAsync(admin, _kiln.DemoOrg());
        _ui = await UiSession.SignInAsync(_kiln.BaseAddress, "notices@example.com");
    }

    public Task DisposeAsync()
    {
        _ui.Dispose();
        _user.Dispose();
        _kiln.Dispose();
        return Task.CompletedTask;
    }

    [GeneratedRegex("<pre id=\"curl\">(?<c>[^<]*)</pre>")]
    private static partial Regex Curl();

    [GeneratedRegex("id=\"new-secret-value\">(?<s>[^<]+)<")]
    private static partial Regex NewSecret();

    [Fact]
    public async Task Projects_page_ignores_a_notice_in_the_query_string_and_shows_the_servers_after_a_delete()
    {
        var forged = await _ui.GetStringAsync($"/console/projects/{_org}?deleted=" + Uri.EscapeDataString("all your data. Call +1-555-0100"));
        Assert.DoesNotContain("was deleted", forged, StringComparison.Ordinal);
        Assert.DoesNotContain("Call +1-555-0100", forged, StringComparison.Ordinal);

        var token = await _ui.TokenAsync($"/console/projects/{_org}/{_project}/delete");
        var name = System.Text.Json.JsonDocument.Parse(await _user.GetStringAsync($"/console/organizations/{_org}/projects/{_project}")).RootElement.GetProperty("name").GetString()!;
        using var res = await _ui.PostAsync($"/console/projects/{_org}/{_project}/delete", "delete-project", token, ("Confirm.Name", name));
        Assert.Equal(HttpStatusCode.Redirect, res.StatusCode);
        Assert.DoesNotContain("deleted=", res.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var page = await _ui.GetStringAsync(res.Headers.Location.OriginalString);
        Assert.Contains($"Project {name} was deleted.", System.Net.WebUtility.HtmlDecode(page), StringComparison.Ordinal);
        // Once: a reload shows nothing.
        Assert.DoesNotContain("was deleted", await _ui.GetStringAsync(res.Headers.Location.OriginalString), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credential_page_notice_is_the_servers_and_its_curl_command_never_holds_the_new_secret()
    {
        var demo = _kiln.Demo;
        var page = UiSession.CredentialPage(_org, _project, demo.CredentialId);
        Assert.DoesNotContain("secret was deleted", await _ui.GetStringAsync(page + "?deleted=1"), StringComparison.Ordinal);

        var token = await _ui.TokenAsync(page);
        using var added = await _ui.PostAsync(page, "add-secret", token);
        // Post/redirect/get: the secret is never in the URL; the page it redirects to shows it once.
        Assert.Equal(HttpStatusCode.Redirect, added.StatusCode);
        Assert.EndsWith(page, added.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var html = System.Net.WebUtility.HtmlDecode(await _ui.GetStringAsync(page));
        var secret = NewSecret().Match(html).Groups["s"].Value.Trim();
        Assert.StartsWith("kiln_s2s_", secret, StringComparison.Ordinal);
        var curl = Curl().Match(html).Groups["c"].Value;
        Assert.Contains("$FIREFLY_SERVICES_CLIENT_SECRET", curl, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, curl, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(html, Regex.Escape(secret)));
        Assert.DoesNotContain(secret, System.Net.WebUtility.HtmlDecode(await _ui.GetStringAsync(page)), StringComparison.Ordinal); // once

        var uuid = Regex.Match(html, "data-uuid=\"(?<u>[^\"]+)\"").Groups["u"].Value;
        var deletePage = UiSession.DeleteSecretPage(_org, _project, demo.CredentialId, uuid);
        using var deleted = await _ui.PostAsync(deletePage, "delete-secret", await _ui.TokenAsync(deletePage));
        Assert.Equal(HttpStatusCode.Redirect, deleted.StatusCode);
        Assert.Contains("The client secret was deleted.", await _ui.GetStringAsync(deleted.Headers.Location!.OriginalString), StringComparison.Ordinal);
    }

    [Fact]
    public void Start_up_banner_holds_the_secret_on_its_export_line_only()
    {
        var d = new DemoCredential("1", "ORG@AdobeOrg", "2", "3", "4", "cid", "kiln_s2s_SECRETVALUE", "http://localhost:1");
        var lines = Bootstrap.CurlCommands(d).Split('\n').Where(l => l.Contains(d.ClientSecret, StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.StartsWith("export FIREFLY_SERVICES_CLIENT_SECRET=kiln_s2s_", lines[0].Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Files_answers_are_nosniff_with_a_deny_all_policy_and_docs_cannot_be_framed()
    {
        // /files serves the local store's pre-signed URLs (on S3 the URLs are the bucket's own).
        using var kiln = new KilnFactory().WithLocalStorage();
        kiln.Start();
        using var anon = new HttpClient { BaseAddress = kiln.BaseAddress };
        using var denied = await anon.GetAsync("/files/uploads/1/x.png?expires=1&sig=bad");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("nosniff", denied.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("default-src 'none'", denied.Headers.GetValues("Content-Security-Policy").Single());

        using var http = await kiln.DemoClientAsync();
        var id = await Firefly.FireflyKit.UploadAsync(http, Firefly.FireflyKit.Image(64, 64));
        var json = await Firefly.FireflyKit.GenerateOkAsync(http, "/v3/images/generate-similar",
            """{"image":{"source":{"uploadId":"ID"}},"size":{"width":1024,"height":1024}}""".Replace("ID", id, StringComparison.Ordinal));
        var url = json.GetProperty("outputs")[0].GetProperty("image").GetProperty("url").GetString()!;
        using var file = await anon.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal("nosniff", file.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("default-src 'none'", file.Headers.GetValues("Content-Security-Policy").Single());

        using var docs = await anon.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        var csp = docs.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
    }
}
