using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Data;

/// <summary>
/// A signed-in console UI session. The cookie carries only the session key (data-protected); the row is what
/// makes it valid, so signing out (deleting the row) ends the session even if the old cookie is replayed.
/// </summary>
public sealed class WebSession
{
    /// <summary>SHA-256 (lower-case hex) of the random session key; the key itself lives only in the cookie.</summary>
    public required string Id { get; set; }
    public long UserId { get; set; }
    /// <summary>The user's security stamp when the session began: a password change ends every session.</summary>
    public string SecurityStamp { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public string SourceIp { get; set; } = "";
}

/// <summary>The sign-in and anti-forgery cookies' Data Protection keys live in <see cref="DataProtectionKeys"/>, wrapped under the KEK (docs/security.md#keys-at-rest).</summary>
public abstract partial class KilnDb : IDataProtectionKeyContext
{
    public DbSet<WebSession> WebSessions => Set<WebSession>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    private static void ConfigureWeb(ModelBuilder b)
    {
        b.Entity<WebSession>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(64);
            e.HasIndex(x => x.UserId);
            e.HasIndex(x => x.ExpiresAt);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
