using System.Security.Cryptography;
using System.Text.Json;
using Kiln.Server.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Web;

/// <summary>A value shown once (a new secret, a token, a password), with the element id its text is read from.</summary>
public sealed record OnceValue(string Id, string Label, string Value);

/// <summary>What a form post leaves for the page it redirects to: a sentence, values shown once, scopes, a link (or a refusal).</summary>
public sealed record Notice(string Text, IReadOnlyList<OnceValue>? Values = null, IReadOnlyList<string>? Tags = null,
    string? TagsLabel = null, string? LinkHref = null, string? LinkText = null, bool IsError = false);

/// <summary>
/// Post/redirect/get for every console form (docs/console-ui.md#forms-and-notices): a form post does its work, leaves a
/// <see cref="Notice"/> here and redirects; the page it redirects to takes the notice once. Notices are stored on the
/// server (table <c>WebNotices</c>), bound to the signed-in session and to one page, protected by Data Protection,
/// deleted as they are read and gone after a minute. Nothing of a notice is ever in the URL or a cookie, so a reload,
/// Back or a link cannot make a page repeat an action or say something the server did not.
/// </summary>
public static class Notices
{
    private const string Purpose = "Kiln.Web.Notice.v2";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    private static IDataProtector Protector(HttpContext ctx) =>
        ctx.RequestServices.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);

    /// <summary>Leaves <paramref name="notice"/> for this session's next visit to <paramref name="path"/>.</summary>
    public static async Task SetAsync(HttpContext ctx, KilnDb db, TimeProvider clock, string path, Notice notice)
    {
        if (WebSessions.SessionIdOf(ctx.User) is not { } session) return;
        var now = clock.GetUtcNow();
        var ct = ctx.RequestAborted;
        await db.WebNotices.Where(n => n.ExpiresAt < now).ExecuteDeleteAsync(ct);
        db.WebNotices.Add(new WebNotice
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), SessionId = session, Path = path,
            Payload = Protector(ctx).Protect(JsonSerializer.Serialize(notice)), ExpiresAt = now + Lifetime,
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// The notice left for this session and page, once: each row is deleted before it is shown, and only the request
    /// that deleted it shows it. Null when there is none.
    /// </summary>
    public static async Task<Notice?> TakeAsync(HttpContext ctx, KilnDb db, TimeProvider clock)
    {
        if (WebSessions.SessionIdOf(ctx.User) is not { } session) return null;
        var path = ctx.Request.Path.Value ?? "";
        var ct = ctx.RequestAborted;
        var rows = await db.WebNotices.AsNoTracking().Where(n => n.SessionId == session && n.Path == path).ToListAsync(ct);
        Notice? shown = null;
        var now = clock.GetUtcNow();
        foreach (var row in rows.OrderByDescending(r => r.ExpiresAt))
        {
            var id = row.Id;
            var mine = await db.WebNotices.Where(n => n.Id == id).ExecuteDeleteAsync(ct) == 1;
            if (!mine || shown is not null || row.ExpiresAt <= now) continue;
            try
            {
                shown = JsonSerializer.Deserialize<Notice>(Protector(ctx).Unprotect(row.Payload));
            }
            catch (CryptographicException)
            {
                // A key that is gone: the notice is lost, which is all that can happen to it.
            }
        }
        return shown;
    }
}
