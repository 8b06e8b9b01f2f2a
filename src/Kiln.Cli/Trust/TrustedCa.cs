using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kiln.Server.Hosting.Tls;

namespace Kiln.Cli.Trust;

/// <summary>
/// The CA that <c>kiln trust</c> installs: one certificate read from a PEM file, refused unless it is a CA whose
/// critical Name Constraints permit only named hosts (docs/adobe-hosts.md#kiln-trust). The host names the hosts-file
/// block maps are the DNS names those constraints permit, so the CA is the one owner of that list.
/// </summary>
public sealed class TrustedCa
{
    private TrustedCa(X509Certificate2 cert, string pemPath, IReadOnlyList<string> names)
    {
        Certificate = cert;
        PemPath = pemPath;
        HostNames = names;
        Sha256 = Convert.ToHexString(cert.GetCertHash(HashAlgorithmName.SHA256)).ToLowerInvariant();
    }

    public X509Certificate2 Certificate { get; }
    /// <summary>Absolute path of the PEM file it was read from.</summary>
    public string PemPath { get; }
    /// <summary>Lower-case hex SHA-256 of the DER certificate: the identity of every change <c>kiln trust</c> makes.</summary>
    public string Sha256 { get; }
    /// <summary>The first 16 hex digits, for file names and aliases.</summary>
    public string ShortId => Sha256[..16];
    /// <summary>The DNS names the CA may sign for, except <c>localhost</c>: the names the hosts-file block maps.</summary>
    public IReadOnlyList<string> HostNames { get; }
    /// <summary>The certificate alone, as PEM with a final newline (what goes into trust stores).</summary>
    public string Pem => Certificate.ExportCertificatePem() + "\n";

    /// <summary>Reads and checks the CA; a problem is a sentence for the user, not an exception.</summary>
    public static TrustedCa? Load(string path, out string? error)
    {
        error = null;
        var full = Path.GetFullPath(path);
        string text;
        try { text = File.ReadAllText(full); }
        catch (FileNotFoundException) { error = $"{full} does not exist: start `kiln serve --adobe-hosts` with this --data once, or pass --ca FILE."; return null; }
        catch (DirectoryNotFoundException) { error = $"{full} does not exist: start `kiln serve --adobe-hosts` with this --data once, or pass --ca FILE."; return null; }
        catch (UnauthorizedAccessException) { error = $"Reading {full} is not allowed for this user."; return null; }
        catch (IOException e) { error = $"Cannot read {full}: {e.Message}"; return null; }
        if (text.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            error = $"{full} contains a private key: kiln trust installs only the CA certificate, never a file that holds its key.";
            return null;
        }
        X509Certificate2 cert;
        try { cert = X509Certificate2.CreateFromPem(text); }
        catch (CryptographicException e) { error = $"{full} is not a PEM certificate: {e.Message}"; return null; }
        if (cert.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            error = $"{full} is not a CA certificate.";
            return null;
        }
        var constraints = cert.Extensions[NameConstraints.Oid];
        if (constraints is null || !constraints.Critical)
        {
            error = $"{full} has no critical Name Constraints: kiln trust installs only a CA that may sign for Kiln's host names alone.";
            return null;
        }
        // The names as Kiln's CA writes them (Kiln.Server.Hosting.Tls.NameConstraints): DNS names, and addresses, which a hosts file cannot map.
        var names = (NameConstraints.Read(cert) ?? [])
            .Where(n => n.Length > 0 && n[0] != '.' && !n.Contains('/', StringComparison.Ordinal) && !IPAddress.TryParse(n, out _)
                && !n.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            .Select(n => n.ToLowerInvariant()).Distinct().ToList();
        if (names.Count == 0)
        {
            error = $"{full}: its Name Constraints permit no host name to map.";
            return null;
        }
        return new TrustedCa(cert, full, names);
    }
}
