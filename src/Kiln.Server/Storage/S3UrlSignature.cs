using System.Security.Cryptography;
using System.Text;

namespace Kiln.Server.Storage;

/// <summary>
/// Checks the SigV4 query signature of an S3 pre-signed GET URL (unsigned payload, only the host header signed) the way
/// S3 does, so that a URL whose key, date or expiry was changed is not read straight from the bucket as one of Kiln's own.
/// </summary>
internal static class S3UrlSignature
{
    private const string Algorithm = "AWS4-HMAC-SHA256";

    public static bool IsValid(Uri url, string accessKeyId, string secretKey, string region)
    {
        var query = new List<(string Name, string Value)>();
        foreach (var pair in url.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            query.Add((Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]), Uri.UnescapeDataString(eq < 0 ? "" : pair[(eq + 1)..])));
        }
        if (query.DistinctBy(p => p.Name).Count() != query.Count) return false;
        string? Get(string name) => query.FirstOrDefault(p => p.Name == name).Value;
        if (Get("X-Amz-Algorithm") != Algorithm || Get("X-Amz-SignedHeaders") != "host" || Get("X-Amz-Signature") is not { Length: 64 } given
            || Get("X-Amz-Date") is not { Length: 16 } date || Get("X-Amz-Credential") is not { } credential)
            return false;
        var scope = $"{date[..8]}/{region}/s3/aws4_request";
        if (credential != accessKeyId + "/" + scope) return false;

        var canonicalQuery = string.Join("&", query.Where(p => p.Name != "X-Amz-Signature")
            .Select(p => (Name: Uri.EscapeDataString(p.Name), Value: Uri.EscapeDataString(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + "=" + p.Value));
        var host = url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";
        var canonical = $"GET\n{url.AbsolutePath}\n{canonicalQuery}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD";
        var toSign = $"{Algorithm}\n{date}\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Encoding.UTF8.GetBytes("AWS4" + secretKey);
        foreach (var part in new[] { date[..8], region, "s3", "aws4_request" }) key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(given));
    }
}
