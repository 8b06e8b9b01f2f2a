using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Users;

/// <summary>
/// First start: when no user exists, creates the admin user with a random password, makes it <c>admin</c> of
/// every org, prints the password once to stdout and writes it to <c>DIR/admin-password</c> (0600).
/// </summary>
public sealed class FirstAdmin(IOptions<AccountOptions> accounts, IOptions<KilnOptions> kiln, TimeProvider clock) : IStartupTask
{
    public const string FileName = "admin-password";

    public async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<KilnDb>();
        if (await db.Users.AnyAsync(ct)) return;
        var password = UserAccounts.NewPassword();
        User? user;
        try
        {
            (user, var error) = await UserAccounts.CreateAsync(db, clock, accounts.Value.AdminEmail, password, ct);
            if (user is null) throw new InvalidOperationException("Could not create the first admin user: " + error?.Message);
            var now = clock.GetUtcNow();
            foreach (var orgId in await db.Orgs.Select(o => o.Id).ToListAsync(ct))
            {
                db.OrgMemberships.Add(new OrgMembership { OrgId = orgId, UserId = user.Id, Role = Roles.Admin, CreatedAt = now });
                Actor.System.Audit(db, clock, AuditScope.Org(orgId), "member.add", $"user:{user.Id}", $"first admin {user.Email}");
            }
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            if (await db.Users.AnyAsync(ct)) return; // another node made the first admin at the same moment
            throw;
        }
        await SecureFile.WriteAllTextAsync(Path.Combine(kiln.Value.FullDataDir, FileName), password + "\n", ct);
        OperatorNotice.Show(services, $"""

            Console admin user created: {user.Email}
            Password (shown once; also in {FileName}, mode 0600): {password}

            """, typeof(FirstAdmin).FullName!, $"Console admin user created: {user.Email}; its password is in {Path.Combine(kiln.Value.FullDataDir, FileName)} (mode 0600)");
    }
}
