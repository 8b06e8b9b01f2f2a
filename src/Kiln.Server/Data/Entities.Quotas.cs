using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Data;

/// <summary>
/// Image limits set on one org, project or credential (docs/firefly.md#quotas-and-usage). A null field falls back to the
/// configured default for that level (<c>Kiln:Quotas</c>); no default means no limit.
/// </summary>
public sealed class QuotaLimit
{
    /// <summary>org, project or credential.</summary>
    public required string Scope { get; set; }
    public long TargetId { get; set; }
    public long OrgId { get; set; }
    public int? PerMinute { get; set; }
    public int? PerDay { get; set; }
    public int? PerMonth { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}

/// <summary>
/// Images counted in one fixed window of one scope, shared by every node: <c>c:&lt;credential&gt;:m:&lt;unix minute&gt;</c>,
/// <c>p:&lt;project&gt;:d:&lt;unix day&gt;</c>, <c>o:&lt;org&gt;:M:&lt;yyyyMM&gt;</c>. Expired rows are cleaned up.
/// </summary>
public sealed class QuotaCounter
{
    public required string Key { get; set; }
    public long Count { get; set; }
    /// <summary>Unix seconds (an integer on both providers, so raw upserts need no date conversion).</summary>
    public long ExpiresUnix { get; set; }
}

/// <summary>
/// Usage per UTC day, org, project, credential, operation and engine (0 for a project or credential the caller did not
/// have). Changed in the same transaction as the quota reservation or release.
/// </summary>
public sealed class UsageDay
{
    public long OrgId { get; set; }
    public DateOnly Day { get; set; }
    public long ProjectId { get; set; }
    public long CredentialId { get; set; }
    public required string Operation { get; set; }
    public required string Engine { get; set; }
    /// <summary>Image requests admitted (less those released: failed or canceled).</summary>
    public long Requests { get; set; }
    /// <summary>Images admitted (less those released).</summary>
    public long Images { get; set; }
    /// <summary>Requests refused by a Kiln quota (429).</summary>
    public long QuotaRefusals { get; set; }
    /// <summary>429s an upstream answered: a sync request's, and each one a job met (docs/upstream.md#quotas-and-usage).</summary>
    public long UpstreamRateLimited { get; set; }
}

public abstract partial class KilnDb
{
    public DbSet<QuotaLimit> QuotaLimits => Set<QuotaLimit>();
    public DbSet<QuotaCounter> QuotaCounters => Set<QuotaCounter>();
    public DbSet<UsageDay> UsageDays => Set<UsageDay>();

    static void ConfigureQuotas(ModelBuilder b)
    {
        b.Entity<QuotaLimit>(e =>
        {
            e.HasKey(x => new { x.Scope, x.TargetId });
            e.Property(x => x.Scope).HasMaxLength(16);
            e.HasIndex(x => x.OrgId);
        });
        b.Entity<QuotaCounter>(e =>
        {
            e.HasKey(x => x.Key);
            e.Property(x => x.Key).HasMaxLength(80);
            e.HasIndex(x => x.ExpiresUnix);
        });
        b.Entity<UsageDay>(e =>
        {
            e.HasKey(x => new { x.OrgId, x.Day, x.ProjectId, x.CredentialId, x.Operation, x.Engine });
            e.Property(x => x.Operation).HasMaxLength(40);
            e.Property(x => x.Engine).HasMaxLength(80);
        });
    }
}
