using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Users;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Web;

/// <summary>
/// Console sign-ins, failed sign-ins and sign-outs in the audit log (docs/console-ui.md#audit-log): one record in each org
/// the user belongs to. Never the password; a failed attempt records the email it tried, normalized.
/// </summary>
public static class SignInAudit
{
    public const string SignIn = "user.signin";
    public const string SignInFailed = "user.signin_failed";
    public const string SignOut = "user.signout";

    public static async Task SucceededAsync(KilnDb db, TimeProvider clock, User user, string sourceIp, CancellationToken ct) =>
        await WriteAsync(db, clock, SignIn, user.Id, user.Email, sourceIp, ct);

    public static async Task SignedOutAsync(KilnDb db, TimeProvider clock, long userId, string sourceIp, CancellationToken ct)
    {
        var email = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.Email).FirstOrDefaultAsync(ct);
        if (email is not null) await WriteAsync(db, clock, SignOut, userId, email, sourceIp, ct);
    }

    /// <summary>
    /// A failed attempt. For an address with an account it goes to that user's orgs; for an unknown one to no org
    /// (kept in the database for the operator, shown to no org, so one org never sees another's addresses).
    /// </summary>
    public static async Task FailedAsync(KilnDb db, TimeProvider clock, string attemptedEmail, string sourceIp, CancellationToken ct)
    {
        var email = UserAccounts.Normalize(attemptedEmail);
        if (email.Length > 254) email = email[..254];
        var user = email.Length == 0 ? null : await UserAccounts.FindByEmailAsync(db, email, ct);
        await WriteAsync(db, clock, SignInFailed, user?.Id, email, sourceIp, ct);
    }

    private static async Task WriteAsync(KilnDb db, TimeProvider clock, string action, long? userId, string email, string sourceIp, CancellationToken ct)
    {
        var actor = userId is { } id ? Actor.ForUser(id, sourceIp) : new Actor("anonymous", email, sourceIp);
        var target = userId is { } uid ? $"user:{uid}" : "";
        List<long> orgs = userId is { } u ? await db.OrgMemberships.AsNoTracking().Where(m => m.UserId == u).Select(m => m.OrgId).ToListAsync(ct) : [];
        if (orgs.Count == 0) actor.Audit(db, clock, AuditScope.Org(null), action, target, email);
        foreach (var org in orgs) actor.Audit(db, clock, AuditScope.Org(org), action, target, email);
        await db.SaveChangesAsync(ct);
    }
}
