using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Web.Components;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Web;

/// <summary>
/// The console UI: server-rendered Razor components (static SSR, no JavaScript needed) under <c>/console</c>,
/// next to the Console REST API, which stays token-only and unaffected by the cookie.
/// </summary>
public static class WebSetup
{
    public static IServiceCollection AddKilnWeb(this IServiceCollection services)
    {
        services.AddOptions<WebOptions>().BindConfiguration(WebOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebOptions>, WebOptions.Validator>();
        ClusterSubscribers.Add<LoginThrottle>(services);
        services.AddRazorComponents();

        // The cookies' keys live in the database (every node reads the same ones; restarts keep people signed in),
        // their secrets wrapped under the key-encryption key (docs/security.md#keys-at-rest).
        services.AddDataProtection().SetApplicationName("kiln").PersistKeysToDbContext<KilnDb>();
        services.AddOptions<KeyManagementOptions>().Configure<KeyEncryption>((o, kek) => o.XmlEncryptor = new KekXmlEncryptor(kek));
        services.AddSingleton<IStartupTask, DataProtectionKeysUpgrade>();

        services.AddAuthentication(WebSessions.Scheme).AddCookie(WebSessions.Scheme);
        services.AddOptions<CookieAuthenticationOptions>(WebSessions.Scheme).Configure<IOptions<KilnOptions>, IOptions<WebOptions>>((o, kiln, web) =>
        {
            o.Cookie.Name = WebSessions.CookieName;
            o.Cookie.Path = WebPaths.Root;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = SecurePolicy(kiln.Value);
            o.LoginPath = WebPaths.Login;
            o.LogoutPath = WebPaths.Logout;
            o.AccessDeniedPath = WebPaths.Login;
            o.ReturnUrlParameter = "returnUrl";
            o.ExpireTimeSpan = web.Value.SessionLifetime;
            o.SlidingExpiration = false;
            o.Events.OnValidatePrincipal = WebSessions.ValidateAsync;
            // The sign-in page says why it is shown: a fixed reason code, never text from the URL.
            o.Events.OnRedirectToLogin = c =>
            {
                var reason = c.Request.Cookies.ContainsKey(WebSessions.CookieName) ? "ended" : "signin";
                c.Response.Redirect(c.RedirectUri + (c.RedirectUri.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "reason=" + reason);
                return Task.CompletedTask;
            };
        });
        services.AddAuthorization();
        services.AddAntiforgery();
        services.AddOptions<AntiforgeryOptions>().Configure<IOptions<KilnOptions>>((o, kiln) =>
        {
            o.Cookie.Name = "kiln.antiforgery";
            o.Cookie.Path = WebPaths.Root;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = SecurePolicy(kiln.Value);
        });
        return services;
    }

    /// <summary>Call right after <c>UseRouting()</c>: headers, sign-in, anti-forgery, then the pages.</summary>
    public static WebApplication UseKilnWeb(this WebApplication app)
    {
        var https = app.Services.GetRequiredService<IOptions<KilnOptions>>().Value.PublicBaseUrl?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true;
        app.Use(async (ctx, next) =>
        {
            // The UI's endpoints say so in their metadata (every /console page, asset and unknown console URL).
            if (ErrorDialects.Of(ctx) == ErrorDialect.Html)
            {
                // Behind a TLS-terminating proxy the public URL says https: cookies are Secure and anti-forgery expects it.
                if (https) ctx.Request.Scheme = "https";
                ctx.Response.OnStarting(() => { SecurityHeaders(ctx.Response.Headers); return Task.CompletedTask; });
            }
            await next(ctx);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapGet(WebPaths.Root + "/assets/{name}", Assets.Serve).ExcludeFromDescription().WithErrorDialect(ErrorDialect.Html);
        app.MapGet("/favicon.ico", (HttpContext ctx) => Assets.Serve("favicon.ico", ctx)).ExcludeFromDescription().WithErrorDialect(ErrorDialect.Html);
        app.MapPost(WebPaths.Root + "/projects/{OrgId}/{ProjectId}/download", WorkspaceDownload.PostAsync).ExcludeFromDescription()
            .WithErrorDialect(ErrorDialect.Html).RequireAuthorization();
        app.MapPost(WebPaths.Logout, LogoutAsync).ExcludeFromDescription().WithErrorDialect(ErrorDialect.Html);
        app.MapAuditExport();
        app.MapRazorComponents<App>(); // the pages say [ErrorDialect(Html)] (Components/_Imports.razor); /_framework stays JSON
        // A console URL that matches no page: a short HTML answer. The Console REST API's prefixes keep their JSON 404.
        // Plain RequestDelegates: the compile-time request delegates (docs/benchmarks.md#start-up) drop a fallback's pattern
        // when its handler is any other delegate (dotnet/aspnetcore#65992), and every fallback would match everything.
        app.MapFallback(WebPaths.Root + "/{**path}", (RequestDelegate)(ctx => NotFoundPage().ExecuteAsync(ctx))).WithErrorDialect(ErrorDialect.Html);
        foreach (var api in WebPaths.ApiPrefixes)
            app.MapFallback(api + "/{**path}", (RequestDelegate)(ctx => ApiErrors.NotFound().ExecuteAsync(ctx))).WithErrorDialect(ErrorDialect.Gateway);
        return app;
    }

    internal static IResult NotFoundPage() => Results.Content(NotFoundHtml, "text/html; charset=utf-8", statusCode: StatusCodes.Status404NotFound);

    private const string NotFoundHtml = """
        <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Not found · Kiln</title><link rel="stylesheet" href="/console/assets/console.css"></head>
        <body><main><div class="panel"><h1>Not found</h1><p>There is no console page here.</p><p><a href="/console">Back to your projects</a></p></div></main></body></html>
        """;

    private static CookieSecurePolicy SecurePolicy(KilnOptions kiln) =>
        kiln.PublicBaseUrl?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;

    private static void SecurityHeaders(IHeaderDictionary h)
    {
        h.ContentSecurityPolicy = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; "
            + "frame-ancestors 'none'; base-uri 'none'";
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
        // Pages show secrets and tokens once: never keep them in a cache.
        if (!h.ContainsKey("Cache-Control")) h.CacheControl = "no-store";
    }

    /// <summary>An unreadable form (bad escapes, a truncated multipart body) throws out of the check: it is as invalid as a missing token.</summary>
    internal static async Task<bool> IsValidFormAsync(HttpContext ctx, IAntiforgery antiforgery)
    {
        try { return await antiforgery.IsRequestValidAsync(ctx); }
        catch (AntiforgeryValidationException) { return false; }
    }

    /// <summary>Sign-out is a form POST with an anti-forgery token (a GET could be triggered by any page).</summary>
    private static async Task<IResult> LogoutAsync(HttpContext ctx, IAntiforgery antiforgery, KilnDb db, TimeProvider clock, CancellationToken ct)
    {
        if (!await IsValidFormAsync(ctx, antiforgery)) return Results.BadRequest();
        var userId = (await ctx.AuthenticateAsync(WebSessions.Scheme)).Principal is { } p ? WebUser.IdOf(p) : null;
        await WebSessions.SignOutAsync(ctx, db, ct);
        if (userId is { } id) await SignInAudit.SignedOutAsync(db, clock, id, Audit.SourceOf(ctx), ct);
        return Results.Redirect(WebPaths.Login + "?signedOut=1");
    }
}

/// <summary>The UI's paths under the <c>/console</c> prefix it shares with the Console REST API.</summary>
public static class WebPaths
{
    public const string Root = "/console";
    public const string Login = "/console/login";
    public const string Logout = "/console/logout";

    /// <summary>The Console REST API's prefixes under <see cref="Root"/>; everything else there is the UI.</summary>
    public static readonly string[] ApiPrefixes = [Root + "/organizations", Root + "/clients"];

    public static string Projects(long orgId) => $"{Root}/projects/{orgId}";
    public static string Project(long orgId, long projectId) => $"{Root}/projects/{orgId}/{projectId}/overview";
    public static string ProjectCredentials(long orgId, long projectId) => $"{Root}/projects/{orgId}/{projectId}/credentials";
    public static string ProjectApis(long orgId, long projectId) => $"{Root}/projects/{orgId}/{projectId}/apis";
    public static string ProjectWorkspaces(long orgId, long projectId) => $"{Root}/projects/{orgId}/{projectId}/workspaces";
    public static string ProjectDownload(long orgId, long projectId) => $"{Root}/projects/{orgId}/{projectId}/download";
    /// <summary>The project's usage page (branch quotas provides it).</summary>
    public static string ProjectUsage(long orgId, long projectId) => $"{Root}/projects/{orgId}/{projectId}/usage";
    public static string DeleteProject(long orgId, long projectId) => $"{Root}/projects/{orgId}/{projectId}/delete";
    public static string Workspace(long orgId, long projectId, long workspaceId) => $"{Root}/projects/{orgId}/{projectId}/workspaces/{workspaceId}";
    public static string DeleteWorkspace(long orgId, long projectId, long workspaceId) =>
        $"{Root}/projects/{orgId}/{projectId}/workspaces/{workspaceId}/delete";
    public static string DeleteCredential(long orgId, long projectId, long credentialId) =>
        $"{Root}/projects/{orgId}/{projectId}/credentials/{credentialId}/delete";
    public static string Device => $"{Root}/device";
    public static string Credential(long orgId, long projectId, long credentialId) =>
        $"{Root}/projects/{orgId}/{projectId}/credentials/{credentialId}/details/oauthservertoserver";
    public static string Members(long orgId) => $"{Root}/members/{orgId}";
    public static string AuditLog(long orgId) => $"{Root}/audit/{orgId}";
    /// <summary>The project menu's "Audit": the audit log narrowed to the project (docs/console-ui.md#audit-log).</summary>
    public static string ProjectAudit(long orgId, long projectId) => $"{Root}/projects/{orgId}/{projectId}/audit";

    /// <summary>Only local console paths are followed after sign-in (no open redirect).</summary>
    public static string SafeReturn(string? returnUrl) =>
        returnUrl is { Length: > 0 } r && r.StartsWith(Root, StringComparison.Ordinal) && !r.StartsWith("//", StringComparison.Ordinal)
            && !r.Contains('\\', StringComparison.Ordinal) && Uri.IsWellFormedUriString(r, UriKind.Relative) ? r : Root;
}
