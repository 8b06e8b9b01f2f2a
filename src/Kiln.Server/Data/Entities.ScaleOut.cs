using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Data;

/// <summary>
/// A request counter shared by every node on PostgreSQL (Firefly per-org rate limits): one row per org and
/// window, e.g. <c>m:&lt;org&gt;:&lt;unix minute&gt;</c>, incremented with an atomic upsert. Expired rows are cleaned up.
/// </summary>
public sealed class RateCounter
{
    public required string Key { get; set; }
    public int Count { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

public abstract partial class KilnDb
{
    public DbSet<RateCounter> RateCounters => Set<RateCounter>();

    static void ConfigureScaleOut(ModelBuilder b)
    {
        b.Entity<RateCounter>(e =>
        {
            e.HasKey(x => x.Key);
            e.Property(x => x.Key).HasMaxLength(80);
            e.HasIndex(x => x.ExpiresAt);
        });
    }
}
