namespace Kiln.Server.Tests.Infrastructure;

/// <summary>
/// The S3-protocol server the suite runs against (s3rver on loopback, started by ./test.sh as KILN_TEST_S3).
/// With KILN_TEST_STORAGE=s3 every Kiln in the suite stores blobs there, one fresh bucket each.
/// </summary>
public static class TestStorage
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    public static bool IsS3 => string.Equals(Environment.GetEnvironmentVariable("KILN_TEST_STORAGE"), "s3", StringComparison.OrdinalIgnoreCase);

    public static string Endpoint => Environment.GetEnvironmentVariable("KILN_TEST_S3")
        ?? throw new InvalidOperationException("S3 tests need KILN_TEST_S3 (an s3rver endpoint); ./test.sh starts one.");

    /// <summary>A fresh bucket on the test S3 server, as a Kiln:Storage value.</summary>
    public static string NewBucket() => $"s3://kiln-{Guid.NewGuid():N}?endpoint={Endpoint}&region=us-east-1&forcePathStyle=true";

    public static KilnFactory WithS3(this KilnFactory kiln) =>
        kiln.With("Kiln:Storage", NewBucket()).With("Kiln:S3:AccessKeyId", AccessKey).With("Kiln:S3:SecretAccessKey", SecretKey);
}
