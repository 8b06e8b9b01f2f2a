using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace Kiln.Server.Web;

/// <summary>
/// One-time success notices carried through a post/redirect/get (docs/security.md): the server writes the text into a
/// short-lived cookie protected by Data Protection, bound to the page it is for; that page shows it once and deletes
/// the cookie. A notice never comes from the query string, so a link cannot make a page say something.
/// </summary>
public static class Notices
{
    private const string CookieName = "kiln_notice";
    private const string Purpose = "Kiln.Web.Notice.v1";
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    private static IDataProtector Protector(HttpContext ctx) =>
        ctx.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);

    /// <summary>Leaves <paramref name="text"/> for the next request to <paramref name="path"/>.</summary>
    public static void Set(HttpContext ctx, TimeProvider clock, string path, string text)
    {
        var expires = clock.GetUtcNow().Add(Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var value = Protector(ctx).Protect(string.Join('\n', expires, path, text));
        ctx.Response.Cookies.Append(CookieName, value, new CookieOptions
        {
            HttpOnly = true, Secure = ctx.Request.IsHttps, SameSite = SameSiteMode.Strict, Path = WebPaths.Root, MaxAge = Lifetime, IsEssential = true,
        });
    }

    /// <summary>The notice left for this page, once (the cookie is deleted); null when there is none or it is not this page's.</summary>
    public static string? Take(HttpContext ctx, TimeProvider clock)
    {
        if (!ctx.Request.Cookies.TryGetValue(CookieName, out var value) || string.IsNullOrEmpty(value)) return null;
        string[] parts;
        try
        {
            parts = Protector(ctx).Unprotect(value).Split('\n', 3);
        }
        catch (CryptographicException)
        {
            parts = [];
        }
        var forThisPage = parts.Length == 3 && string.Equals(parts[1], ctx.Request.Path.Value, StringComparison.OrdinalIgnoreCase);
        if (parts.Length != 3 || forThisPage) ctx.Response.Cookies.Delete(CookieName, new CookieOptions { Path = WebPaths.Root });
        if (!forThisPage || !long.TryParse(parts[0], CultureInfo.InvariantCulture, out var expires)) return null;
        return clock.GetUtcNow().ToUnixTimeSeconds() <= expires ? parts[2] : null;
    }
}
