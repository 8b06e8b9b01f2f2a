using Kiln.Server.Data;
using Kiln.Server.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>
/// Turns the sources of a request into things a worker can load later: an upload id becomes its blob
/// key (it must belong to the caller's org and be unexpired), one of Kiln's own pre-signed URLs becomes the
/// key it signs, any other URL is checked against the host allow-list now and downloaded when the job runs.
/// </summary>
public sealed class SourceResolver(IBlobStore store, SourceFetcher fetcher, TimeProvider clock, IOptions<FireflyOptions> options)
{
    public static object[] LocOf(ImageSpec spec, SourceRef s) =>
        ReferenceEquals(s, spec.Mask) ? (spec.Operation == Generation.ImageOperation.Fill && !spec.Async ? ["body", "image", "mask", "source"] : ["body", "mask", "source"])
        : ReferenceEquals(s, spec.StyleReference) ? ["body", "style", "imageReference", "source"]
        : ReferenceEquals(s, spec.StructureReference) ? ["body", "structure", "imageReference", "source"]
        : ["body", "image", "source"];

    public async Task<ImageSpec> ResolveAsync(ImageSpec spec, long orgId, KilnDb db, CancellationToken ct)
    {
        async Task<SourceRef?> One(SourceRef? s)
        {
            if (s is null) return null;
            var loc = LocOf(spec, s);
            if (s.UploadId is { } id)
            {
                var now = clock.GetUtcNow();
                var blob = await db.StoredBlobs.AsNoTracking()
                    .FirstOrDefaultAsync(b => b.Id == id && b.OrgId == orgId && b.Kind == "upload" && b.ExpiresAt > now, ct);
                return blob is null ? throw FireflyException.Invalid([.. loc, "uploadId"], "unknown or expired uploadId") : new SourceRef(BlobKey: blob.Key);
            }
            var uri = new Uri(s.Url!);
            if (store.KeyFromOwnUrl(uri) is { } key) return new SourceRef(BlobKey: key);
            fetcher.CheckUrl(uri, [.. loc, "url"]);
            return new SourceRef(Url: s.Url);
        }
        return spec with
        {
            Source = await One(spec.Source),
            Mask = await One(spec.Mask),
            StyleReference = await One(spec.StyleReference),
            StructureReference = await One(spec.StructureReference),
        };
    }

    /// <summary>Loads a resolved source's bytes and checks they are a sane image. Failures are 422s at the source's loc.</summary>
    public async Task<byte[]?> LoadAsync(ImageSpec spec, SourceRef? s, CancellationToken ct)
    {
        if (s is null) return null;
        var loc = LocOf(spec, s);
        byte[] bytes;
        if (s.BlobKey is { } key)
        {
            await using var stream = await store.OpenReadAsync(key, ct) ?? throw FireflyException.Invalid(loc, "the source image no longer exists");
            bytes = await SourceFetcher.ReadCappedAsync(stream, options.Value.MaxSourceBytes, loc, ct);
        }
        else
        {
            bytes = await fetcher.FetchAsync(s.Url!, [.. loc, "url"], ct);
        }
        ImageInspector.Check(bytes, options.Value.MaxSourcePixels, loc);
        return bytes;
    }
}
