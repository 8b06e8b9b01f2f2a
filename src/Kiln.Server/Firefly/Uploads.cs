using System.Buffers;
using Kiln.Server.Data;
using Kiln.Server.Generation;
using Kiln.Server.Storage;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>Why an upload was refused; each caller turns it into its own error shape.</summary>
public enum UploadFault { Empty, NotAnImage, HeaderUnreadable, TooManyPixels, TooLarge, Unreadable }

/// <summary>
/// Streams an upload (docs/firefly.md#uploads) into the blob store and records it for the org. The magic bytes are
/// checked from the first bytes and the dimensions from the header (within the first <see cref="HeaderWindow"/> bytes),
/// so a non-image or a decompression bomb is refused before the rest of the body is read; the rest is copied to
/// the store as it arrives, never held whole, and cut off past the size cap.
/// </summary>
public sealed class Uploads(IBlobStore store, TimeProvider clock, IOptions<FireflyOptions> options)
{
    /// <summary>The most bytes read before the header must have given the image's width and height.</summary>
    public const int HeaderWindow = 256 * 1024;

    /// <summary>
    /// Stores <paramref name="body"/> as an upload of <paramref name="orgId"/> and answers its id, or the refusal
    /// <paramref name="refuse"/> makes of what was wrong. <paramref name="declaredType"/>: the type the bytes must be (null: any image).
    /// </summary>
    public async Task<Checked<string>> StoreAsync(Stream body, string? declaredType, long orgId, KilnDb db,
        Func<UploadFault, string, Refusal> refuse, CancellationToken ct)
    {
        var o = options.Value;
        var buffer = ArrayPool<byte>.Shared.Rent(HeaderWindow);
        try
        {
            var head = await ReadHeadAsync(body, buffer, declaredType, o, ct);
            if (head.Fault is { } fault) return refuse(fault, head.Message);
            var id = Guid.NewGuid().ToString("D");
            var key = $"uploads/{orgId}/{id}{ImageInspector.Extension(head.Type)}";
            await using var content = new UploadStream(buffer, head.Length, body, o.MaxUploadBytes);
            await store.PutAsync(key, content, head.Type, ct);
            if (content.Fault is { } late)
            {
                await store.DeleteAsync(key, CancellationToken.None);
                return refuse(late, late == UploadFault.TooLarge ? "" : "The request body could not be read");
            }
            var now = clock.GetUtcNow();
            db.StoredBlobs.Add(new StoredBlob
            {
                Id = id, OrgId = orgId, Kind = "upload", Key = key, ContentType = head.Type, Size = content.Total, CreatedAt = now,
                ExpiresAt = now + o.UploadLifetime,
            });
            await db.SaveChangesAsync(ct);
            return id;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed record Head(string Type, int Length, UploadFault? Fault = null, string Message = "");

    /// <summary>Reads just enough of the body to know its type (magic bytes) and its size (header).</summary>
    private static async Task<Head> ReadHeadAsync(Stream body, byte[] buffer, string? declaredType, FireflyOptions o, CancellationToken ct)
    {
        var window = Math.Min(HeaderWindow, buffer.Length);
        var filled = 0;
        try
        {
            filled = await body.ReadAtLeastAsync(buffer.AsMemory(0, window), 12, throwOnEndOfStream: false, ct);
            if (filled == 0) return new Head("", 0, UploadFault.Empty, "The request body is empty");
            var type = ImageInspector.Sniff(buffer.AsSpan(0, filled));
            if (type is null || (declaredType is not null && type != declaredType))
                return new Head("", filled, UploadFault.NotAnImage, ImageInspector.NotAnImage);
            int width, height;
            while (!ImageHeader.TryReadSize(buffer.AsSpan(0, filled), out width, out height) && filled < window)
            {
                var n = await body.ReadAsync(buffer.AsMemory(filled, window - filled), ct);
                if (n == 0) break;
                filled += n;
            }
            if (filled > o.MaxUploadBytes) return new Head(type, filled, UploadFault.TooLarge);
            if (!ImageHeader.TryReadSize(buffer.AsSpan(0, filled), out width, out height) || width < 1 || height < 1)
                return new Head(type, filled, UploadFault.HeaderUnreadable, ImageInspector.HeaderUnreadable);
            if (ImageInspector.TooLarge(width, height, o.MaxSourcePixels) is { } tooLarge)
                return new Head(type, filled, UploadFault.TooManyPixels, tooLarge);
            return new Head(type, filled);
        }
        catch (BadHttpRequestException e)
        {
            return new Head("", filled, e.StatusCode == 413 ? UploadFault.TooLarge : UploadFault.Unreadable, "The request body could not be read");
        }
    }

    /// <summary>
    /// The bytes already read, then the rest of the body, ending early (with <see cref="Fault"/> set) past the cap or
    /// when the client's body cannot be read, so the store never sees an error that is the client's.
    /// </summary>
    private sealed class UploadStream(byte[] head, int headLength, Stream rest, long max) : Stream
    {
        private int _headRead;

        public long Total { get; private set; }
        public UploadFault? Fault { get; private set; }

        public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken ct = default)
        {
            if (Fault is not null || destination.Length == 0) return 0;
            int n;
            if (_headRead < headLength)
            {
                n = Math.Min(destination.Length, headLength - _headRead);
                head.AsMemory(_headRead, n).CopyTo(destination);
                _headRead += n;
            }
            else
            {
                try
                {
                    n = await rest.ReadAsync(destination, ct);
                }
                catch (BadHttpRequestException e)
                {
                    Fault = e.StatusCode == 413 ? UploadFault.TooLarge : UploadFault.Unreadable;
                    return 0;
                }
            }
            Total += n;
            if (Total <= max) return n;
            Fault = UploadFault.TooLarge;
            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => Total; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>Bounds the uploads this node receives at once (<see cref="FireflyOptions.MaxConcurrentUploads"/>); past it, 429.</summary>
public sealed class UploadGate(IOptions<FireflyOptions> options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.Value.MaxConcurrentUploads, options.Value.MaxConcurrentUploads);

    public static readonly Refusal Busy = new(429, "rate_limited", "Too many uploads in progress; retry later", RetryAfter: 2);

    /// <summary>A slot to release when the upload is done, or null when every slot is taken.</summary>
    public IDisposable? TryEnter() => _slots.Wait(0) ? new Slot(_slots) : null;

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}
