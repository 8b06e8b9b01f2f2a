using System.Globalization;
using System.Security.Claims;
using Kiln.Server.Core;
using Kiln.Server.Console;
using Kiln.Server.Data;
using Kiln.Server.Users;

namespace Kiln.Server.Web;

/// <summary>The signed-in user as the pages see it, and their access to an org (none: the page answers 404).</summary>
public static class WebUser
{
    public static long? IdOf(ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirst(ClaimTypes.NameIdentifier)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    public static string EmailOf(ClaimsPrincipal principal) => principal.FindFirst(ClaimTypes.Name)?.Value ?? "";

    /// <summary>The user's role in the org named by the URL, or null when it is not one of theirs (or not an id at all).</summary>
    public static async Task<OrgContext?> OrgAsync(KilnDb db, long userId, string? orgIdText, CancellationToken ct)
    {
        if (!Ids.TryParseId(orgIdText, out var orgId)) return null;
        var role = await UserAccounts.RoleAsync(db, userId, orgId, ct);
        return role is null ? null : new OrgContext(orgId, role);
    }

    public static Actor ActorOf(long userId, HttpContext ctx) => Actor.ForUser(userId, Audit.SourceOf(ctx));
}
