using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Kiln.Server.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Web;

/// <summary>
/// Server-side sign-in sessions behind the console's cookie. Every sign-in makes a new session (and a new
/// cookie) and drops the one the browser had, so a session id planted before sign-in is worthless; sign-out
/// deletes the row, so the old cookie stops working even if someone kept a copy.
/// </summary>
public static class WebSessions
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string CookieName = "kiln.console";
    private const string SessionClaim = "kiln:session";

    public static async Task SignInAsync(HttpContext ctx, KilnDb db, TimeProvider clock, WebOptions options, User user, CancellationToken ct)
    {
        await EndAsync(ctx, db, ct);
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        var expires = now + options.SessionLifetime;
        await db.WebSessions.Where(s => s.ExpiresAt < now).ExecuteDeleteAsync(ct);
        db.WebSessions.Add(new WebSession
        {
            Id = Hash(key), UserId = user.Id, SecurityStamp = user.SecurityStamp, CreatedAt = now, ExpiresAt = expires,
            SourceIp = ctx.Connection.RemoteIpAddress?.ToString() ?? "",
        });
        await db.SaveChangesAsync(ct);
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)),
                new Claim(ClaimTypes.Name, user.Email),
                new Claim(SessionClaim, key),
            ], Scheme);
        await ctx.SignInAsync(Scheme, new ClaimsPrincipal(identity),
            new AuthenticationProperties { IsPersistent = false, IssuedUtc = now, ExpiresUtc = expires, AllowRefresh = false });
    }

    /// <summary>Deletes the current session (if any) and clears the cookie.</summary>
    public static async Task SignOutAsync(HttpContext ctx, KilnDb db, CancellationToken ct)
    {
        await EndAsync(ctx, db, ct);
        await ctx.SignOutAsync(Scheme);
    }

    private static async Task EndAsync(HttpContext ctx, KilnDb db, CancellationToken ct)
    {
        var auth = await ctx.AuthenticateAsync(Scheme);
        if (auth.Principal?.FindFirst(SessionClaim)?.Value is { } old)
        {
            var id = Hash(old);
            await db.WebSessions.Where(s => s.Id == id).ExecuteDeleteAsync(ct);
        }
    }

    /// <summary>The cookie's check on every request: the session row exists, is current, and the user is still enabled with the same password.</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext c)
    {
        var key = c.Principal?.FindFirst(SessionClaim)?.Value;
        var ok = false;
        if (key is not null && WebUser.IdOf(c.Principal!) is { } userId)
        {
            var db = c.HttpContext.RequestServices.GetRequiredService<KilnDb>();
            var now = c.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
            var id = Hash(key);
            ok = await (from s in db.WebSessions.AsNoTracking()
                        join u in db.Users.AsNoTracking() on s.UserId equals u.Id
                        where s.Id == id && s.UserId == userId && s.ExpiresAt > now && !u.Disabled && u.SecurityStamp == s.SecurityStamp
                        select s.Id).AnyAsync(c.HttpContext.RequestAborted);
        }
        if (!ok)
        {
            c.RejectPrincipal();
            await c.HttpContext.SignOutAsync(Scheme);
        }
    }

    /// <summary>The session row's id for a signed-in principal (what notices are bound to); null when signed out.</summary>
    public static string? SessionIdOf(ClaimsPrincipal principal) =>
        principal.Identity?.IsAuthenticated == true && principal.FindFirst(SessionClaim)?.Value is { } key ? Hash(key) : null;

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
