using System.Security.Cryptography;

namespace Kiln.Server.Core;

/// <summary>Identifier shapes (docs/console.md#identifiers): numeric-string ids and 32-hex keys.</summary>
public static class Ids
{
    /// <summary>A random 18-digit positive id, unique without a sequence so that any node can make one.</summary>
    public static long NewId() => RandomNumberGenerator.GetInt32(100_000_000, 999_999_999) * 1_000_000_000L
                                  + RandomNumberGenerator.GetInt32(0, 1_000_000_000);

    /// <summary>A short numeric org id (Adobe's AMS org ids look like "23294").</summary>
    public static long NewOrgId() => RandomNumberGenerator.GetInt32(10_000, int.MaxValue);

    public static string NewHex32() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string NewOrgCode() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12)) + "@KilnOrg";

    public static string NewTechnicalAccountId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(12)) + "@techacct.adobe.com";

    public static bool TryParseId(string? s, out long id) =>
        long.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id) && id > 0;

    public static string ToMs(DateTimeOffset t) => t.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
}
