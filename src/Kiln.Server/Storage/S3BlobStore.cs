using System.Globalization;
using System.Net;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Kiln.Server.Core;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Storage;

/// <summary>
/// Blobs in an S3-compatible bucket (AWS S3, MinIO, Ceph, s3rver). Download URLs are real S3 pre-signed GET URLs.
/// Uploads are sent unchunked: S3-compatible servers such as s3rver store aws-chunked framing as the body otherwise.
/// </summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly S3Location _where;
    private readonly AmazonS3Client _s3;
    private readonly TimeProvider _clock;
    private readonly AWSCredentials? _credentials;

    public S3BlobStore(IOptions<KilnOptions> kiln, IConfiguration config, TimeProvider clock)
    {
        _where = S3Location.Parse(kiln.Value.Storage!);
        _clock = clock;
        var s3Config = new AmazonS3Config { ForcePathStyle = _where.ForcePathStyle, AuthenticationRegion = _where.Region };
        if (_where.Endpoint is { } endpoint) s3Config.ServiceURL = endpoint.ToString();
        else s3Config.RegionEndpoint = RegionEndpoint.GetBySystemName(_where.Region);
        var id = config["Kiln:S3:AccessKeyId"];
        var secret = config["Kiln:S3:SecretAccessKey"];
        _credentials = id is { Length: > 0 } && secret is { Length: > 0 } ? new BasicAWSCredentials(id, secret) : null;
        _s3 = _credentials is not null ? new AmazonS3Client(_credentials, s3Config) : new AmazonS3Client(s3Config);
    }

    private string ObjectKey(string key)
    {
        if (!BlobKeys.IsValid(key)) throw new ArgumentException("Invalid blob key.", nameof(key));
        return _where.Prefix.Length == 0 ? key : _where.Prefix + "/" + key;
    }

    /// <summary>
    /// Creates the bucket when it does not exist yet (convenient for MinIO and s3rver). The probe is a V1 listing:
    /// s3rver answers a truncated V2 listing (MaxKeys below the object count) with 500, which stopped restarts.
    /// </summary>
    public async Task RunAsync(IServiceProvider services, CancellationToken ct)
    {
        try
        {
            await _s3.ListObjectsAsync(new ListObjectsRequest { BucketName = _where.Bucket, MaxKeys = 1 }, ct);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            await _s3.PutBucketAsync(new PutBucketRequest { BucketName = _where.Bucket }, ct);
        }
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken ct = default)
    {
        // A PUT needs the length up front: a stream of unknown length (an upload being received) is spooled to a
        // private temporary file first, never held in memory.
        await using var spool = content.CanSeek ? null : await SpoolAsync(content, ct);
        await _s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _where.Bucket, Key = ObjectKey(key), InputStream = spool ?? content, ContentType = contentType,
            UseChunkEncoding = false, AutoCloseStream = false,
        }, ct);
    }

    private static async Task<FileStream> SpoolAsync(Stream content, CancellationToken ct)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = 81920,
            Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
        };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var file = new FileStream(Path.Combine(Path.GetTempPath(), "kiln-s3-" + Guid.NewGuid().ToString("N")), options);
        try
        {
            await content.CopyToAsync(file, ct);
            file.Position = 0;
            return file;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken ct = default)
    {
        if (!BlobKeys.IsValid(key)) return null;
        try
        {
            var res = await _s3.GetObjectAsync(_where.Bucket, ObjectKey(key), ct);
            return res.ResponseStream;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound) { return null; }
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken ct = default)
    {
        if (!BlobKeys.IsValid(key)) return false;
        try
        {
            await _s3.GetObjectMetadataAsync(_where.Bucket, ObjectKey(key), ct);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound) { return false; }
    }

    public async Task DeleteAsync(string key, CancellationToken ct = default)
    {
        if (BlobKeys.IsValid(key)) await _s3.DeleteObjectAsync(_where.Bucket, ObjectKey(key), ct);
    }

    public Task<string> GetDownloadUrlAsync(string key, TimeSpan lifetime, CancellationToken ct = default) =>
        _s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = _where.Bucket, Key = ObjectKey(key), Verb = HttpVerb.GET,
            // The SDK turns this into X-Amz-Expires relative to its own signing clock (whole seconds, so ±1 s).
            Expires = (_clock.GetUtcNow() + lifetime).UtcDateTime,
            Protocol = _where.Endpoint?.Scheme == "http" ? Protocol.HTTP : Protocol.HTTPS,
        });

    /// <summary>
    /// Recognises this bucket's own, unexpired pre-signed URLs (path or virtual-host style), signature included: Kiln
    /// reads such an object straight from its bucket, past the org checks, so a URL with a changed key, date or expiry
    /// must not pass (found by the URL fuzz). Without explicit keys (an IAM role) no URL is recognised; it is fetched.
    /// </summary>
    public string? KeyFromOwnUrl(Uri url)
    {
        if (!url.IsAbsoluteUri) return null;
        string path;
        if (_where.Endpoint is { } ep && url.Host == ep.Host && url.Port == ep.Port && url.AbsolutePath.StartsWith("/" + _where.Bucket + "/", StringComparison.Ordinal))
            path = url.AbsolutePath[(_where.Bucket.Length + 2)..];
        else if (url.Host.StartsWith(_where.Bucket + ".", StringComparison.Ordinal) && (_where.Endpoint is null || url.Host.EndsWith(_where.Endpoint.Host, StringComparison.Ordinal)))
            path = url.AbsolutePath.TrimStart('/');
        else return null;
        var q = QueryHelpers.ParseQuery(url.Query);
        if (!q.TryGetValue("X-Amz-Date", out var date) || !q.TryGetValue("X-Amz-Expires", out var expires)
            || !DateTimeOffset.TryParseExact(date.ToString(), "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var signedAt)
            || !int.TryParse(expires.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || seconds > 604_800 || signedAt > _clock.GetUtcNow().AddMinutes(15) // also keeps AddSeconds off DateTimeOffset.MaxValue
            || signedAt.AddSeconds(seconds) <= _clock.GetUtcNow())
            return null;
        if (_credentials?.GetCredentials() is not { } keys || !S3UrlSignature.IsValid(url, keys.AccessKey, keys.SecretKey, _where.Region))
            return null;
        var objectKey = Uri.UnescapeDataString(path);
        if (_where.Prefix.Length > 0)
        {
            if (!objectKey.StartsWith(_where.Prefix + "/", StringComparison.Ordinal)) return null;
            objectKey = objectKey[(_where.Prefix.Length + 1)..];
        }
        return BlobKeys.IsValid(objectKey) ? objectKey : null;
    }

    public void Dispose() => _s3.Dispose();
}
