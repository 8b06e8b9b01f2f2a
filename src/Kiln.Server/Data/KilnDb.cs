using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Data;

/// <summary>
/// The one DbContext. Handlers use it directly. Each provider has a sealed subclass so that
/// SQLite and PostgreSQL keep their own migrations.
/// </summary>
public abstract partial class KilnDb(DbContextOptions options) : DbContext(options)
{
    public DbSet<Org> Orgs => Set<Org>();
    public DbSet<Project> Projects => Set<Project>();
    public DbSet<Workspace> Workspaces => Set<Workspace>();
    public DbSet<Credential> Credentials => Set<Credential>();
    public DbSet<CredentialService> CredentialServices => Set<CredentialService>();
    public DbSet<ClientSecret> ClientSecrets => Set<ClientSecret>();
    public DbSet<SigningKey> SigningKeys => Set<SigningKey>();
    public DbSet<RevokedToken> RevokedTokens => Set<RevokedToken>();
    public DbSet<AuditRecord> AuditRecords => Set<AuditRecord>();
    public DbSet<ServerSetting> ServerSettings => Set<ServerSetting>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<Org>(e =>
        {
            e.Property(x => x.Id).ValueGeneratedNever();
            e.HasIndex(x => x.Code).IsUnique();
            e.Property(x => x.Code).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(255);
        });
        b.Entity<Project>(e =>
        {
            e.Property(x => x.Id).ValueGeneratedNever();
            e.HasIndex(x => new { x.OrgId, x.Name }).IsUnique();
            e.HasOne<Org>().WithMany().HasForeignKey(x => x.OrgId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<Workspace>(e =>
        {
            e.Property(x => x.Id).ValueGeneratedNever();
            e.HasIndex(x => new { x.ProjectId, x.Name }).IsUnique();
            e.HasOne<Project>().WithMany().HasForeignKey(x => x.ProjectId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<Credential>(e =>
        {
            e.Property(x => x.Id).ValueGeneratedNever();
            e.HasIndex(x => x.ClientId).IsUnique();
            e.HasIndex(x => x.OrgId);
            e.HasOne<Workspace>().WithMany().HasForeignKey(x => x.WorkspaceId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(x => x.Services).WithOne().HasForeignKey(x => x.CredentialId).OnDelete(DeleteBehavior.Cascade);
            e.HasMany(x => x.Secrets).WithOne().HasForeignKey(x => x.CredentialId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<CredentialService>(e => e.HasKey(x => new { x.CredentialId, x.SdkCode }));
        b.Entity<ClientSecret>(e =>
        {
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.HasIndex(x => x.CredentialId);
        });
        b.Entity<SigningKey>(e => e.HasKey(x => x.Kid));
        b.Entity<RevokedToken>(e =>
        {
            e.HasKey(x => x.Jti);
            e.HasIndex(x => x.ExpiresAt);
        });
        b.Entity<AuditRecord>(e =>
        {
            e.HasIndex(x => new { x.OrgId, x.At });
            e.HasIndex(x => new { x.OrgId, x.ProjectId, x.At }); // a project's audit view, newest first
        });
        b.Entity<ServerSetting>(e => e.HasKey(x => x.Key));
        ConfigureUsers(b);
        ConfigureFirefly(b);
        ConfigureWeb(b);
        ConfigureScaleOut(b);
        ConfigureUpstream(b);
        ConfigureQuotas(b);
        OnModelCreatingPartial(b);
    }

    /// <summary>Feature areas add their own entities in partial files.</summary>
    partial void OnModelCreatingPartial(ModelBuilder b);
}

public sealed class SqliteKilnDb(DbContextOptions<SqliteKilnDb> options) : KilnDb(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no native DateTimeOffset ordering: store as binary-sortable ticks.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter>();
    }
}

public sealed class PostgresKilnDb(DbContextOptions<PostgresKilnDb> options) : KilnDb(options);
