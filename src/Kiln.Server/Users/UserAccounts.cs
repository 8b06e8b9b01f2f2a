using System.Security.Cryptography;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Users;

/// <summary>
/// Building blocks for local user accounts, shared by the first-start task, <c>kiln admin</c>, the members API
/// and the web UI's sign-in. They work on the given <see cref="KilnDb"/> and save their own changes.
/// </summary>
public static class UserAccounts
{
    public const int MinPasswordLength = 8;
    private static readonly PasswordHasher<User> Hasher = new();

    /// <summary>
    /// A hash of a random password nobody knows: a sign-in for an unknown or disabled account is checked against it,
    /// so that it takes as long as a wrong password for a real one (docs/security.md#sign-in-timing).
    /// </summary>
    private static readonly Lazy<string> DummyHash = new(() => Hasher.HashPassword(new User { Email = "" }, NewPassword()));

    /// <summary>An email as stored and compared: trimmed, NFC, lower-case (<see cref="TextRules.NormalizeEmail"/>).</summary>
    public static string Normalize(string email) => TextRules.NormalizeEmail(email);

    /// <summary>One '@' with text on both sides, at most 320 characters, no spaces and nothing invisible (<see cref="TextRules"/>).</summary>
    public static bool IsValidEmail(string? email)
    {
        if (string.IsNullOrWhiteSpace(email)) return false;
        var e = TextRules.Nfc(email.Trim());
        var at = e.IndexOf('@');
        return e.Length <= 320 && at > 0 && at == e.LastIndexOf('@') && at < e.Length - 1 && !e.Any(char.IsWhiteSpace)
            && TextRules.HiddenCharacter(e) is null;
    }

    /// <summary>The refusal for an email that <see cref="IsValidEmail"/> does not accept (400 <c>bad_request</c>).</summary>
    public static OpError? EmailProblem(string? email) => IsValidEmail(email) ? null
        : OpError.BadRequest("email must be an email address, without spaces or invisible or direction-changing characters");

    public static bool IsValidRole(string? role) => role is Roles.Admin or Roles.Developer;

    /// <summary>A random password: 24 URL-safe characters.</summary>
    public static string NewPassword() =>
        System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(18));

    public static Task<User?> FindByEmailAsync(KilnDb db, string email, CancellationToken ct)
    {
        var normalized = Normalize(email);
        return db.Users.FirstOrDefaultAsync(u => u.Email == normalized, ct);
    }

    /// <summary>Creates a user with the given password (checked for length). Does not add memberships.</summary>
    public static async Task<(User? User, OpError? Error)> CreateAsync(KilnDb db, TimeProvider clock, string email, string password, CancellationToken ct)
    {
        if (EmailProblem(email) is { } bad) return (null, bad);
        if (PasswordProblem(password) is { } problem) return (null, problem);
        if (await FindByEmailAsync(db, email, ct) is not null) return (null, OpError.Conflict("user_exists", "A user with this email already exists."));
        var user = new User { Id = Ids.NewId(), Email = Normalize(email), CreatedAt = clock.GetUtcNow() };
        SetPassword(user, password);
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        return (user, null);
    }

    public static OpError? PasswordProblem(string? password) =>
        password is null || password.Length < MinPasswordLength || password.Length > 256
            ? OpError.BadRequest($"password must be {MinPasswordLength} to 256 characters")
            : null;

    /// <summary>Hashes the password and rotates the security stamp (which ends cookie sessions).</summary>
    public static void SetPassword(User user, string password)
    {
        user.PasswordHash = Hasher.HashPassword(user, password);
        user.SecurityStamp = Ids.NewHex32();
    }

    /// <summary>The user if the email and password match an enabled account; upgrades old hashes on the way.</summary>
    public static async Task<User?> VerifyPasswordAsync(KilnDb db, string email, string password, CancellationToken ct)
    {
        var user = await FindByEmailAsync(db, email, ct);
        if (user is null || user.Disabled || user.PasswordHash is null)
        {
            // The same work as a real check, so that the answer's timing does not tell whether the account exists.
            Hasher.VerifyHashedPassword(user ?? new User { Email = "" }, DummyHash.Value, password);
            return null;
        }
        var result = Hasher.VerifyHashedPassword(user, user.PasswordHash, password);
        if (result == PasswordVerificationResult.Failed) return null;
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            user.PasswordHash = Hasher.HashPassword(user, password);
            await db.SaveChangesAsync(ct);
        }
        return user;
    }

    /// <summary>Sets a new password and ends the user's existing tokens (and, through the stamp, cookie sessions).</summary>
    public static async Task<OpError?> ResetPasswordAsync(KilnDb db, UserCache? cache, TimeProvider clock, string email, string password, CancellationToken ct)
    {
        if (PasswordProblem(password) is { } problem) return problem;
        var user = await FindByEmailAsync(db, email, ct);
        if (user is null) return OpError.NotFound("No user with this email.");
        SetPassword(user, password);
        // Token created_at has whole seconds: round up, so a token minted in this very second dies too.
        user.TokensValidAfter = DateTimeOffset.FromUnixTimeSeconds(clock.GetUtcNow().ToUnixTimeSeconds() + 1);
        await db.SaveChangesAsync(ct);
        cache?.Invalidate(user.Id);
        return null;
    }

    /// <summary>Disables or re-enables a user; a disabled user's tokens stop working at once on this node.</summary>
    public static async Task<bool> SetDisabledAsync(KilnDb db, UserCache? cache, long userId, bool disabled, CancellationToken ct)
    {
        var n = await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.Disabled, disabled), ct);
        cache?.Invalidate(userId);
        return n > 0;
    }

    /// <summary>The orgs a user belongs to, with the role in each, by org name.</summary>
    public static async Task<List<(Org Org, string Role)>> OrgsOfAsync(KilnDb db, long userId, CancellationToken ct)
    {
        var rows = await (from m in db.OrgMemberships.AsNoTracking()
                          join o in db.Orgs.AsNoTracking() on m.OrgId equals o.Id
                          where m.UserId == userId
                          select new { o, m.Role }).ToListAsync(ct);
        return rows.OrderBy(r => r.o.Name, StringComparer.Ordinal).Select(r => (r.o, r.Role)).ToList();
    }

    public static Task<string?> RoleAsync(KilnDb db, long userId, long orgId, CancellationToken ct) =>
        db.OrgMemberships.AsNoTracking().Where(m => m.UserId == userId && m.OrgId == orgId).Select(m => m.Role).FirstOrDefaultAsync(ct);
}
