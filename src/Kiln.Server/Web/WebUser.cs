using System.Globalization;
using System.Security.Claims;
using Kiln.Server.Core;

namespace Kiln.Server.Web;

/// <summary>The signed-in user as the pages see it (their access to an org is <see cref="Console.OrgAccess"/>).</summary>
public static class WebUser
{
    public static long? IdOf(ClaimsPrincipal principal) =>
        long.TryParse(principal.FindFirst(ClaimTypes.NameIdentifier)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    public static string EmailOf(ClaimsPrincipal principal) => principal.FindFirst(ClaimTypes.Name)?.Value ?? "";

    public static Actor ActorOf(long userId, HttpContext ctx) => Actor.ForUser(userId, Audit.SourceOf(ctx));
}
