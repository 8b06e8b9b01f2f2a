using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Data;

/// <summary>
/// An upstream Firefly service an org's images may be made by (docs/upstream.md#profiles): where its IMS, Firefly and
/// Console hosts are, the credential Kiln uses there, and the rotation state. The client secret is only ever stored
/// wrapped under the key-encryption key (docs/upstream.md#threat-model-of-the-stored-secret).
/// </summary>
public sealed class UpstreamProfile
{
    /// <summary>32 lower-case hex; also the associated data of the wrapped secret.</summary>
    public required string Id { get; set; }
    public long OrgId { get; set; }
    /// <summary>Unique in the org; the engine <c>upstream:&lt;name&gt;</c>.</summary>
    public required string Name { get; set; }
    public required string ImsBaseUrl { get; set; }
    public required string FireflyBaseUrl { get; set; }
    public required string ConsoleBaseUrl { get; set; }
    public required string ClientId { get; set; }
    /// <summary><c>kek1:</c> + the AES-GCM envelope of the current secret.</summary>
    public required string SecretWrapped { get; set; }
    /// <summary>The secret before a rotation switched, kept (wrapped) until the rotation deleted it upstream.</summary>
    public string? PreviousSecretWrapped { get; set; }
    /// <summary>Grows on every change of the secrets; each node compares it to reload.</summary>
    public int SecretVersion { get; set; }
    public required string Scopes { get; set; }
    public string? UpstreamOrgId { get; set; }
    public string? UpstreamCredentialId { get; set; }
    /// <summary>Comma-separated hosts whose source URLs are handed to the upstream as they are.</summary>
    public string PassThroughHosts { get; set; } = "";
    /// <summary>Outputs: false copies them into Kiln's store (the default); true hands out the upstream's URLs.</summary>
    public bool PassThroughOutputs { get; set; }
    public int? RotateEveryDays { get; set; }
    public DateTimeOffset? LastRotatedAt { get; set; }
    public string? LastRotationMessage { get; set; }
    /// <summary>The node rotating now and until when its claim holds (exactly one node rotates).</summary>
    public string? RotationLeaseOwner { get; set; }
    public DateTimeOffset? RotationLeaseUntil { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A Kiln blob already uploaded to an upstream's <c>/v2/storage/image</c>, remembered until it expires there.</summary>
public sealed class UpstreamUpload
{
    public required string ProfileId { get; set; }
    public required string BlobKey { get; set; }
    public required string UpstreamId { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

public abstract partial class KilnDb
{
    public DbSet<UpstreamProfile> UpstreamProfiles => Set<UpstreamProfile>();
    public DbSet<UpstreamUpload> UpstreamUploads => Set<UpstreamUpload>();

    static void ConfigureUpstream(ModelBuilder b)
    {
        b.Entity<UpstreamProfile>(e =>
        {
            e.Property(x => x.Id).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(64);
            e.HasIndex(x => new { x.OrgId, x.Name }).IsUnique();
            e.HasOne<Org>().WithMany().HasForeignKey(x => x.OrgId).OnDelete(DeleteBehavior.Cascade);
        });
        b.Entity<UpstreamUpload>(e =>
        {
            e.HasKey(x => new { x.ProfileId, x.BlobKey });
            e.HasIndex(x => x.ExpiresAt);
            e.HasOne<UpstreamProfile>().WithMany().HasForeignKey(x => x.ProfileId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
