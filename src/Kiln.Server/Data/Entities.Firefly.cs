using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Data;

/// <summary>An async Firefly job (docs/firefly.md#async-jobs). Persisted before the 202 so a restart never loses it.</summary>
public sealed class Job
{
    /// <summary><c>urn:ff:jobs:kiln:&lt;uuid&gt;</c>.</summary>
    public required string Id { get; set; }
    public long OrgId { get; set; }
    public required string ClientId { get; set; }
    /// <summary>generate, generate-similar, expand, fill or generate-object-composite.</summary>
    public required string Operation { get; set; }
    /// <summary>The validated request with inputs resolved to blob keys (never inline bytes) and seeds fixed.</summary>
    public required string Request { get; set; }
    /// <summary>pending, running, succeeded, failed or canceled.</summary>
    public required string Status { get; set; }
    public int Progress { get; set; }
    /// <summary>The result with blob keys; URLs are signed when the status is read.</summary>
    public string? Result { get; set; }
    public string? ErrorCode { get; set; }
    public string? Message { get; set; }
    /// <summary>A failed job's <c>validation_errors</c> (JSON), as its engine or its upstream gave them; null when there were none.</summary>
    public string? ValidationErrors { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>The node that runs the job, and until when its claim holds.</summary>
    public string? LeaseOwner { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }
    public int Attempts { get; set; }
    public bool CancelRequested { get; set; }
    /// <summary>The engine chosen at submit (<c>procedural</c> or <c>upstream:&lt;name&gt;</c>); null on jobs older than engines.</summary>
    public string? Engine { get; set; }
    /// <summary>An upstream engine's own job (its id, status and cancel URLs as JSON), saved as soon as the upstream accepted it.</summary>
    public string? Upstream { get; set; }
    /// <summary>
    /// The W3C <c>traceparent</c> of the request that submitted the job (docs/operations.md#traces): its claim and run
    /// spans link to it. Null when the request had no W3C trace context, and on jobs older than it.
    /// </summary>
    public string? TraceParent { get; set; }
    /// <summary>The project and credential that submitted the job (0 when the caller had none): who it is metered to.</summary>
    public long ProjectId { get; set; }
    public long CredentialId { get; set; }
    /// <summary>
    /// The images the job holds until it ends (docs/firefly.md#quotas-and-usage): the <see cref="QuotaCounter"/> keys its
    /// submit incremented, separated by <c>;</c>. Null when it holds none: it ended, or it is older than quotas.
    /// </summary>
    public string? HeldKeys { get; set; }
    /// <summary>How many images it holds, and the usage day they counted in.</summary>
    public int HeldImages { get; set; }
    public DateOnly? HeldDay { get; set; }
}

/// <summary>A blob Kiln stores for a client (an upload or a generated output), with its expiry.</summary>
public sealed class StoredBlob
{
    /// <summary>The public id: the upload id for uploads.</summary>
    public required string Id { get; set; }
    public long OrgId { get; set; }
    /// <summary>upload or output.</summary>
    public required string Kind { get; set; }
    public required string Key { get; set; }
    public required string ContentType { get; set; }
    public long Size { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

public abstract partial class KilnDb
{
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<StoredBlob> StoredBlobs => Set<StoredBlob>();

    static void ConfigureFirefly(ModelBuilder b)
    {
        b.Entity<Job>(e =>
        {
            e.Property(x => x.Id).HasMaxLength(80);
            e.Property(x => x.Status).HasMaxLength(16);
            e.Property(x => x.Operation).HasMaxLength(40);
            e.Property(x => x.Engine).HasMaxLength(80);
            e.Property(x => x.TraceParent).HasMaxLength(55);
            e.Property(x => x.HeldKeys).HasMaxLength(1000);
            e.HasIndex(x => new { x.Status, x.CreatedAt });
            e.HasIndex(x => x.OrgId);
            e.HasIndex(x => x.UpdatedAt);
        });
        b.Entity<StoredBlob>(e =>
        {
            e.Property(x => x.Id).HasMaxLength(64);
            e.HasIndex(x => x.ExpiresAt);
            e.HasIndex(x => x.Key).IsUnique();
        });
    }
}
