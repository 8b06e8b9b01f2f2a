using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Data;

/// <summary>A human account: signs in to the console UI and, through the device flow, the CLI.</summary>
public sealed class User
{
    public long Id { get; set; }
    /// <summary>Normalised (trimmed, lower-case); unique.</summary>
    public required string Email { get; set; }
    /// <summary>ASP.NET Core Identity's <c>PasswordHasher</c> format; null until a password is set.</summary>
    public string? PasswordHash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public bool Disabled { get; set; }
    /// <summary>Changes whenever the password changes, so that cookie sessions can be dropped.</summary>
    public string SecurityStamp { get; set; } = "";
    /// <summary>User tokens minted before this instant are dead (set by a password reset).</summary>
    public DateTimeOffset? TokensValidAfter { get; set; }
}

/// <summary>A user's role in one org: <c>admin</c> or <c>developer</c>.</summary>
public sealed class OrgMembership
{
    public long OrgId { get; set; }
    public long UserId { get; set; }
    public required string Role { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>One RFC 8628 device authorization: the CLI polls with the device code, a person approves the user code.</summary>
public sealed class DeviceAuthorization
{
    /// <summary>SHA-256 of the device code, lower-case hex; the code itself is never stored.</summary>
    public required string DeviceCodeHash { get; set; }
    /// <summary>Eight characters without the dash (the dash is only for display).</summary>
    public required string UserCode { get; set; }
    public required string ClientId { get; set; }
    public string Scope { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public int IntervalSeconds { get; set; }
    public DateTimeOffset? LastPolledAt { get; set; }
    /// <summary>pending, approved, denied or consumed.</summary>
    public required string Status { get; set; }
    public long? UserId { get; set; }
    public long? OrgId { get; set; }
    public DateTimeOffset? DecidedAt { get; set; }
}

public abstract partial class KilnDb
{
    public DbSet<User> Users => Set<User>();
    public DbSet<OrgMembership> OrgMemberships => Set<OrgMembership>();
    public DbSet<DeviceAuthorization> DeviceAuthorizations => Set<DeviceAuthorization>();

    private static void ConfigureUsers(ModelBuilder b)
    {
        b.Entity<User>(e =>
        {
            e.Property(x => x.Id).ValueGeneratedNever();
            e.Property(x => x.Email).HasMaxLength(320);
            e.HasIndex(x => x.Email).IsUnique();
        });
        b.Entity<OrgMembership>(e =>
        {
            e.HasKey(x => new { x.OrgId, x.UserId });
            e.HasIndex(x => x.UserId);
            e.Property(x => x.Role).HasMaxLength(16);
            e.HasOne<Org>().WithMany().HasForeignKey(x => x.OrgId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<DeviceAuthorization>(e =>
        {
            e.HasKey(x => x.DeviceCodeHash);
            e.Property(x => x.DeviceCodeHash).HasMaxLength(64);
            e.Property(x => x.UserCode).HasMaxLength(8);
            e.HasIndex(x => x.UserCode).IsUnique();
            e.HasIndex(x => x.ExpiresAt);
        });
    }
}
