using Kiln.Server.Core;

namespace Kiln.Server.Storage;

/// <summary>
/// Where uploads and generated images live. Keys are relative, '/'-separated paths made of
/// <c>[A-Za-z0-9._-]</c> segments. URL generation belongs to the store: the local store signs Kiln
/// <c>/files/</c> URLs, an S3 store returns S3 pre-signed URLs.
/// </summary>
public interface IBlobStore : IStartupTask
{
    /// <summary>Prepares the store when Kiln starts (S3 checks its bucket); nothing to do by default.</summary>
    Task IStartupTask.RunAsync(IServiceProvider services, CancellationToken ct) => Task.CompletedTask;

    Task PutAsync(string key, Stream content, string contentType, CancellationToken ct = default);

    /// <summary>Opens a blob for reading; null when it does not exist.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken ct = default);

    Task<bool> ExistsAsync(string key, CancellationToken ct = default);

    /// <summary>Deletes a blob; a missing blob is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken ct = default);

    /// <summary>An absolute, time-limited download URL for the blob.</summary>
    Task<string> GetDownloadUrlAsync(string key, TimeSpan lifetime, CancellationToken ct = default);

    /// <summary>
    /// When <paramref name="url"/> is one of this store's own valid, unexpired download URLs, the key it
    /// points at (so that Kiln reads it straight from the store instead of fetching it); otherwise null.
    /// </summary>
    string? KeyFromOwnUrl(Uri url);
}

public static class BlobKeys
{
    /// <summary>True for a relative key of safe segments: no empty, dot or dot-dot segments, no absolute paths.</summary>
    public static bool IsValid(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 512 || key[0] == '/') return false;
        foreach (var seg in key.Split('/'))
        {
            if (seg.Length == 0 || seg == "." || seg == "..") return false;
            if (!seg.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
            if (seg.StartsWith('.')) return false;
        }
        return true;
    }
}
