using Microsoft.AspNetCore.WebUtilities;

namespace Kiln.Server.Storage;

/// <summary>
/// Parsed <c>--storage s3://bucket?endpoint=...&amp;region=...&amp;forcePathStyle=true&amp;prefix=...</c>. Credentials come
/// from Kiln:S3:AccessKeyId/SecretAccessKey when set, else from the standard AWS chain (AWS_ACCESS_KEY_ID, profiles, roles).
/// </summary>
public sealed record S3Location(string Bucket, Uri? Endpoint, string Region, bool ForcePathStyle, string Prefix)
{
    public static bool IsS3(string? storage) => storage?.StartsWith("s3://", StringComparison.OrdinalIgnoreCase) == true;

    public static S3Location Parse(string storage)
    {
        if (!IsS3(storage) || !Uri.TryCreate(storage, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new FormatException("Kiln:Storage must look like s3://bucket?endpoint=http://host:port&region=us-east-1&forcePathStyle=true");
        var q = QueryHelpers.ParseQuery(uri.Query);
        Uri? endpoint = null;
        if (q.TryGetValue("endpoint", out var e) && !Uri.TryCreate(e.ToString(), UriKind.Absolute, out endpoint))
            throw new FormatException($"Kiln:Storage endpoint '{e}' is not an absolute URL.");
        var region = q.TryGetValue("region", out var r) && r.ToString().Length > 0 ? r.ToString() : "us-east-1";
        var pathStyle = q.TryGetValue("forcePathStyle", out var f) ? bool.TryParse(f, out var b) && b : endpoint is not null;
        var prefix = q.TryGetValue("prefix", out var p) ? p.ToString().Trim('/') : "";
        if (prefix.Length > 0 && !BlobKeys.IsValid(prefix)) throw new FormatException("Kiln:Storage prefix must be a safe relative path.");
        return new S3Location(uri.Host, endpoint, region, pathStyle, prefix);
    }
}
