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
        ReferenceEquals(s, spec.Mask) ? spec.MaskLoc is { } maskLoc ? [.. maskLoc] : (spec.Operation == Generation.ImageOperation.Fill && !spec.Async ? ["body", "image", "mask", "source"] : ["body", "mask", "source"])
        : ReferenceEquals(s, spec.StyleReference) ? ["body", "style", "imageReference", "source"]
        : ReferenceEquals(s, spec.StructureReference) ? ["body", "structure", "imageReference", "source"]
        : ["body", "image", "source"];

    /// <summary>The spec with its sources resolved, or the 422 that refuses the first bad one.</summary>
    public async Task<Checked<ImageSpec>> ResolveAsync(ImageSpec spec, long orgId, KilnDb db, CancellationToken ct)
    {
        async Task<Checked<SourceRef>> One(SourceRef s)
        {
            var loc = LocOf(spec, s);
            if (s.UploadId is { } id)
            {
                var now = clock.GetUtcNow();
                var blob = await db.StoredBlobs.AsNoTracking()
                    .FirstOrDefaultAsync(b => b.Id == id && b.OrgId == orgId && b.Kind == "upload" && b.ExpiresAt > now, ct);
                return blob is null ? Refusal.Invalid([.. loc, "uploadId"], "unknown or expired uploadId") : new SourceRef(BlobKey: blob.Key);
            }
            var uri = new Uri(s.Url!);
            if (store.KeyFromOwnUrl(uri) is { } key) return new SourceRef(BlobKey: key);
            return fetcher.CheckUrl(uri, [.. loc, "url"]) is { } refused ? refused : new SourceRef(Url: s.Url);
        }

        var resolved = new SourceRef?[4];
        SourceRef?[] given = [spec.Source, spec.Mask, spec.StyleReference, spec.StructureReference];
        for (var i = 0; i < given.Length; i++)
        {
            if (given[i] is not { } s) continue;
            if ((await One(s)).Failed(out var refusal, out var r)) return refusal;
            resolved[i] = r;
        }
        return spec with { Source = resolved[0], Mask = resolved[1], StyleReference = resolved[2], StructureReference = resolved[3] };
    }

    /// <summary>Loads a resolved source's bytes and checks they are a sane image. Failures are 422s at the source's loc.</summary>
    public async Task<Checked<byte[]>> LoadAsync(ImageSpec spec, SourceRef s, CancellationToken ct)
    {
        var loc = LocOf(spec, s);
        Checked<byte[]> loaded;
        if (s.BlobKey is { } key)
        {
            await using var stream = await store.OpenReadAsync(key, ct);
            if (stream is null) return Refusal.Invalid(loc, "the source image no longer exists");
            loaded = await SourceFetcher.ReadCappedAsync(stream, options.Value.MaxSourceBytes, loc, ct);
        }
        else
        {
            loaded = await fetcher.FetchAsync(s.Url!, [.. loc, "url"], ct);
        }
        if (loaded.Failed(out var refusal, out var bytes)) return refusal;
        return ImageInspector.Check(bytes, options.Value.MaxSourcePixels, loc).Failed(out refusal, out _) ? refusal : bytes;
    }
}
