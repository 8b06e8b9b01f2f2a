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

/// <summary>
/// A one-time notice left by a form post for the page it redirects to (post/redirect/get, docs/console-ui.md#forms-and-notices):
/// bound to one session and one page, read once (the row is deleted as it is read), gone after a minute. The payload
/// (which may hold a new secret or token) is protected by Data Protection, whose keys are wrapped under the KEK.
/// </summary>
public sealed class WebNotice
{
    /// <summary>Random 32 hex.</summary>
    public required string Id { get; set; }
    /// <summary>The <see cref="WebSession"/> it belongs to: signing out deletes it.</summary>
    public required string SessionId { get; set; }
    /// <summary>The page (request path) that shows it.</summary>
    public required string Path { get; set; }
    public required string Payload { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>The sign-in and anti-forgery cookies' Data Protection keys live in <see cref="DataProtectionKeys"/>, wrapped under the KEK (docs/security.md#keys-at-rest).</summary>
public abstract partial class KilnDb : IDataProtectionKeyContext
{
    public DbSet<WebSession> WebSessions => Set<WebSession>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<WebNotice> WebNotices => Set<WebNotice>();

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
        b.Entity<WebNotice>(e =>
        {
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(32);
            e.Property(x => x.SessionId).HasMaxLength(64);
            e.Property(x => x.Path).HasMaxLength(512);
            e.HasIndex(x => new { x.SessionId, x.Path });
            e.HasIndex(x => x.ExpiresAt);
            e.HasOne<WebSession>().WithMany().HasForeignKey(x => x.SessionId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
