using Kiln.Server.Core;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Storage;

/// <summary>
/// The default store: files under <c>&lt;DataDir&gt;/blobs</c>, written atomically (temp file + rename), folders 0700 and
/// files 0600 like everything in the data directory (docs/security.md#files-on-disk).
/// </summary>
public sealed class LocalDiskBlobStore(IOptions<KilnOptions> kiln, UrlSigner signer, PublicUrl publicUrl) : IBlobStore
{
    private string Root => Path.Combine(kiln.Value.FullDataDir, "blobs");

    private string PathOf(string key)
    {
        if (!BlobKeys.IsValid(key)) throw new ArgumentException("Invalid blob key.", nameof(key));
        var full = Path.GetFullPath(Path.Combine(Root, key));
        if (!full.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) throw new ArgumentException("Invalid blob key.", nameof(key));
        return full;
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken ct = default)
    {
        var path = PathOf(key);
        CreatePrivateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 81920, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = DataDirectory.FileMode;
            await using (var f = new FileStream(temp, options))
            {
                await content.CopyToAsync(f, ct);
                await f.FlushAsync(ct);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Creates each missing level 0700 (Directory.CreateDirectory's mode applies to the last level only).</summary>
    private void CreatePrivateDirectory(string dir)
    {
        if (OperatingSystem.IsWindows() || Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
            return;
        }
        var parent = Path.GetDirectoryName(dir);
        if (parent is not null && parent.Length >= kiln.Value.FullDataDir.Length) CreatePrivateDirectory(parent);
        Directory.CreateDirectory(dir, DataDirectory.DirMode);
    }

    public Task<Stream?> OpenReadAsync(string key, CancellationToken ct = default)
    {
        if (!BlobKeys.IsValid(key)) return Task.FromResult<Stream?>(null);
        try
        {
            return Task.FromResult<Stream?>(new FileStream(PathOf(key), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, useAsync: true));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task<bool> ExistsAsync(string key, CancellationToken ct = default) =>
        Task.FromResult(BlobKeys.IsValid(key) && File.Exists(PathOf(key)));

    public Task DeleteAsync(string key, CancellationToken ct = default)
    {
        if (BlobKeys.IsValid(key)) File.Delete(PathOf(key));
        return Task.CompletedTask;
    }

    public Task<string> GetDownloadUrlAsync(string key, TimeSpan lifetime, CancellationToken ct = default) =>
        Task.FromResult(publicUrl.For(signer.Sign(key, lifetime)));

    public string? KeyFromOwnUrl(Uri url)
    {
        if (!url.IsAbsoluteUri || !url.AbsolutePath.StartsWith("/files/", StringComparison.Ordinal)) return null;
        var key = Uri.UnescapeDataString(url.AbsolutePath["/files/".Length..]);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(url.Query);
        return signer.Verify(key, query.TryGetValue("expires", out var e) ? e.ToString() : null, query.TryGetValue("sig", out var s) ? s.ToString() : null)
            ? key : null;
    }
}
