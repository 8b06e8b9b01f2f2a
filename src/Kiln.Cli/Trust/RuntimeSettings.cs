namespace Kiln.Cli.Trust;

/// <summary>The settings for runtimes that do not read the OS trust store (docs/adobe-hosts.md#kiln-trust).</summary>
public static class RuntimeSettings
{
    public static IEnumerable<string> Lines(TrustedCa ca, TrustStore store)
    {
        // Python requests and OpenSSL-based tools replace their bundle with the file named, so they get the system
        // bundle (which now holds the CA) where there is one; Node.js adds the file to its own list.
        var pem = store.InstalledCopy(ca) ?? ca.PemPath;
        var bundle = store.SystemBundle is { } b && File.Exists(b) ? b : pem;
        yield return "Runtimes with their own trust store:";
        yield return $"  export NODE_EXTRA_CA_CERTS={pem}   # Node.js (read at start)";
        yield return $"  export REQUESTS_CA_BUNDLE={bundle}   # Python requests";
        yield return $"  export SSL_CERT_FILE={bundle}   # OpenSSL-based tools and Python's ssl";
        if (bundle == pem) yield return "  (no system bundle file here: these two then trust Kiln's hosts only)";
        yield return $"  keytool -importcert -noprompt -trustcacerts -cacerts -storepass changeit -alias kiln-{ca.ShortId} -file {pem}   # Java (JDK 9+)";
    }
}
