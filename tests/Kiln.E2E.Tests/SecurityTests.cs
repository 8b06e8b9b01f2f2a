using System.Net;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.E2E.Tests;

/// <summary>The console UI's defences, over plain HTTP: sign-in throttling, CSRF, headers, cookie flags, sign-out, org isolation.</summary>
public sealed class SecurityTests
{
    private static async Task<UiClient> SignedInAsync(KilnFactory kiln)
    {
        var ui = new UiClient(kiln.BaseAddress);
        var res = await ui.SignInAsync(ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));
        Assert.Equal(HttpStatusCode.Redirect, res.StatusCode);
        return ui;
    }

    [Fact]
    public async Task WrongPasswordFailsAndIsThrottledAfterTheLimit()
    {
        using var kiln = new KilnFactory().With("Kiln:Web:MaxLoginFailures", "3");
        kiln.Start();
        using var ui = new UiClient(kiln.BaseAddress);
        for (var i = 0; i < 3; i++)
        {
            var res = await ui.SignInAsync(ConsoleUi.AdminEmail, "not-the-password");
            Assert.Equal(HttpStatusCode.Unauthorized, res.StatusCode);
            Assert.Contains("Wrong email or password", await res.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Null(ui.Cookie("kiln.console"));
        }
        // Past the limit even the right password is refused until the window ends.
        var blocked = await ui.SignInAsync(ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln));
        Assert.Equal(HttpStatusCode.TooManyRequests, blocked.StatusCode);
        Assert.Contains("Too many failed sign-in attempts", await blocked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(blocked.Headers.RetryAfter);
        Assert.Null(ui.Cookie("kiln.console"));
    }

    [Fact]
    public async Task FormPostWithoutAntiforgeryTokenIsRejected()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        using var ui = await SignedInAsync(kiln);
        var path = $"/console/projects/{demo.OrgId}";
        var forged = await ui.PostFormAsync(path, "create-project", withToken: false, ("Create.Name", "csrf-project"));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        var (_, list) = await ui.GetAsync(path);
        Assert.DoesNotContain("csrf-project", list, StringComparison.Ordinal);

        // The same post with the page's token works (so the rejection above was the token's doing).
        var real = await ui.PostFormAsync(path, "create-project", withToken: true, ("Create.Name", "csrf-project"));
        Assert.Equal(HttpStatusCode.Redirect, real.StatusCode);
        Assert.Contains("csrf-project", (await ui.GetAsync(path)).Html, StringComparison.Ordinal);

        // The session cookie is no credential for the REST API (it needs a bearer token), so the API has no CSRF surface.
        var (api, _) = await ui.GetAsync("/console/organizations");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task UiPagesCarrySecurityHeadersAndApiResponsesDoNot()
    {
        using var kiln = new KilnFactory();
        kiln.Start();
        using var ui = new UiClient(kiln.BaseAddress);
        var (page, _) = await ui.GetAsync("/console/login");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(";", page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.True(page.Headers.CacheControl?.NoStore, "UI pages show secrets once: never cached");

        var (api, body) = await ui.GetAsync("/console/organizations");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("application/json", api.Content.Headers.ContentType?.MediaType);
        Assert.Contains("401013", body, StringComparison.Ordinal);
        Assert.False(api.Headers.Contains("Content-Security-Policy"));
        var (missing, _) = await ui.GetAsync("/console/organizations/1/nothing-here");
        Assert.Equal("application/json", missing.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("https://kiln.example.test", true)]
    public async Task CookiesAreHttpOnlySameSiteAndSecureBehindHttps(string? publicBaseUrl, bool secure)
    {
        using var kiln = new KilnFactory().With("Kiln:PublicBaseUrl", publicBaseUrl);
        kiln.Start();
        // Cookies by hand: a client on plain http would not send back a Secure cookie.
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = kiln.BaseAddress };
        using var login = await http.GetAsync("/console/login");
        var antiforgery = SetCookie(login, "kiln.antiforgery");
        Assert.Contains("samesite=strict", antiforgery, StringComparison.Ordinal);
        Assert.Contains("httponly", antiforgery, StringComparison.Ordinal);
        Assert.Equal(secure, antiforgery.Contains("secure", StringComparison.Ordinal));

        using var post = new HttpRequestMessage(HttpMethod.Post, "/console/login")
        {
            Content = new FormUrlEncodedContent([new("_handler", "login"), new("__RequestVerificationToken", UiClient.AntiforgeryToken(await login.Content.ReadAsStringAsync())),
                new("Input.Email", ConsoleUi.AdminEmail), new("Input.Password", ConsoleUi.AdminPassword(kiln))]),
        };
        post.Headers.Add("Cookie", RawCookie(login, "kiln.antiforgery"));
        using var res = await http.SendAsync(post);
        Assert.Equal(HttpStatusCode.Redirect, res.StatusCode);
        var session = SetCookie(res, "kiln.console");
        Assert.Contains("httponly", session, StringComparison.Ordinal);
        Assert.Contains("samesite=lax", session, StringComparison.Ordinal);
        Assert.Contains("path=/console", session, StringComparison.Ordinal);
        Assert.Equal(secure, session.Contains("secure", StringComparison.Ordinal));
    }

    private static string SetCookie(HttpResponseMessage res, string name) =>
        res.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(name + "=", StringComparison.Ordinal)).ToLowerInvariant();

    private static string RawCookie(HttpResponseMessage res, string name) =>
        res.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(name + "=", StringComparison.Ordinal)).Split(';')[0];

    [Fact]
    public async Task SignOutEndsTheSessionEvenForACopiedCookie()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        using var ui = await SignedInAsync(kiln);
        var copied = ui.Cookie("kiln.console");
        Assert.NotNull(copied);
        var (projects, _) = await ui.GetAsync($"/console/projects/{demo.OrgId}");
        Assert.Equal(HttpStatusCode.OK, projects.StatusCode);

        var (_, page) = await ui.GetAsync($"/console/projects/{demo.OrgId}");
        using var signOut = await ui.Http.PostAsync("/console/logout",
            new FormUrlEncodedContent([new("__RequestVerificationToken", UiClient.AntiforgeryToken(page))]));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.StartsWith("/console/login", signOut.Headers.Location?.OriginalString, StringComparison.Ordinal);

        // Replaying the old cookie gets the sign-in page, not the projects.
        using var replay = new UiClient(kiln.BaseAddress);
        replay.Cookies.Add(new Cookie("kiln.console", copied, "/console", kiln.BaseAddress.Host));
        var (again, _) = await replay.GetAsync($"/console/projects/{demo.OrgId}");
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Contains("/console/login", again.Headers.Location?.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigningInAgainReplacesTheSessionAndAPasswordResetEndsIt()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        using var ui = await SignedInAsync(kiln);
        var first = ui.Cookie("kiln.console")!;
        Assert.Equal(HttpStatusCode.Redirect, (await ui.SignInAsync(ConsoleUi.AdminEmail, ConsoleUi.AdminPassword(kiln))).StatusCode);
        var second = ui.Cookie("kiln.console")!;
        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.Redirect, (await WithCookieAsync(kiln, first, $"/console/projects/{demo.OrgId}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await WithCookieAsync(kiln, second, $"/console/projects/{demo.OrgId}")).StatusCode);

        // A new password (kiln admin reset-password) ends every session of that user.
        using (var scope = kiln.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            Assert.Null(await Kiln.Server.Users.UserAccounts.ResetPasswordAsync(db, null, TimeProvider.System, ConsoleUi.AdminEmail, "a-new-password-123", default));
        }
        Assert.Equal(HttpStatusCode.Redirect, (await WithCookieAsync(kiln, second, $"/console/projects/{demo.OrgId}")).StatusCode);
    }

    private static async Task<HttpResponseMessage> WithCookieAsync(KilnFactory kiln, string session, string path)
    {
        using var ui = new UiClient(kiln.BaseAddress);
        ui.Cookies.Add(new Cookie("kiln.console", session, "/console", kiln.BaseAddress.Host));
        return (await ui.GetAsync(path)).Response;
    }

    [Fact]
    public async Task UnknownConsolePageIsAnHtml404()
    {
        using var kiln = new KilnFactory();
        kiln.Start();
        using var ui = new UiClient(kiln.BaseAddress);
        var (res, html) = await ui.GetAsync("/console/no-such-page");
        Assert.Equal(HttpStatusCode.NotFound, res.StatusCode);
        Assert.Equal("text/html", res.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Not found", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherOrgsProjectAndCredentialPagesAnswer404()
    {
        using var kiln = new KilnFactory();
        var demo = kiln.Start();
        // Org B: made after the first admin, who is therefore not a member.
        var now = DateTimeOffset.UtcNow;
        var org = new Org { Id = Ids.NewOrgId(), Code = Ids.NewOrgCode(), Name = "Org B", CreatedAt = now };
        var project = NewEntities.NewProject(org.Id, "org-b-project", "Org B project", "system", now);
        var workspace = NewEntities.NewWorkspace(org.Id, project.Id, "Production", "system", now);
        var cred = NewEntities.NewCredential(org.Id, project.Id, workspace.Id, "org-b-credential", now);
        using (var scope = kiln.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            db.AddRange(org, project, workspace, cred);
            await db.SaveChangesAsync();
        }
        using var ui = await SignedInAsync(kiln);
        foreach (var path in new[]
        {
            $"/console/projects/{org.Id}",
            $"/console/projects/{org.Id}/{project.Id}/overview",
            $"/console/projects/{org.Id}/{project.Id}/credentials/{cred.Id}/details/oauthservertoserver",
            $"/console/projects/{org.Id}/{project.Id}/delete",
            $"/console/audit/{org.Id}",
            $"/console/projects/{org.Id}/{project.Id}/audit",
            $"/console/projects/{org.Id}/{project.Id}/usage",
            $"/console/members/{org.Id}",
            // Org A's URL with org B's ids in it.
            $"/console/projects/{demo.OrgId}/{project.Id}/credentials/{cred.Id}/details/oauthservertoserver",
            $"/console/projects/{demo.OrgId}/{project.Id}/audit",
            $"/console?org={org.Id}",
        })
        {
            var (res, html) = await ui.GetAsync(path);
            Assert.True(res.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)res.StatusCode}");
            Assert.DoesNotContain("org-b-", html, StringComparison.Ordinal);
            Assert.Contains("Not found", html, StringComparison.Ordinal);
        }
        // The org switcher lists only the user's orgs.
        var (_, home) = await ui.GetAsync($"/console/projects/{demo.OrgId}");
        Assert.DoesNotContain("Org B", home, StringComparison.Ordinal);
    }
}
