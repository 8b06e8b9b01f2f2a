using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kiln.Server.Hosting.Tls;

namespace Kiln.E2E.Tests.AdobeHosts;

/// <summary>
/// A CA made for the trust tests, shaped like an installation's (ECDSA P-256, critical Name Constraints written by
/// Kiln's own NameConstraints on the hosts it may sign for), written where <c>kiln trust --data</c> reads it: &lt;data&gt;/tls/kiln-ca.pem.
/// </summary>
public sealed class TestCa : IDisposable
{
    public static readonly string[] AdobeHosts =
    [
        "ims-na1.adobelogin.com", "firefly-api.adobe.io", "api.adobe.io", "developers.adobe.io", "developer.adobe.com",
        "ims-na1-stg1.adobelogin.com", "developer-stage.adobe.com",
    ];

    private readonly ECDsa _key;

    private TestCa(ECDsa key, X509Certificate2 cert)
    {
        _key = key;
        Certificate = cert;
    }

    public X509Certificate2 Certificate { get; }
    public string Sha256 => Convert.ToHexString(Certificate.GetCertHash(HashAlgorithmName.SHA256)).ToLowerInvariant();

    /// <summary>A CA permitted <paramref name="names"/> (plus localhost), or with no constraints at all when <paramref name="constrained"/> is false.</summary>
    public static TestCa Create(IEnumerable<string> names, bool constrained = true)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=Kiln test CA " + Guid.NewGuid().ToString("N")[..8], key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        if (constrained) req.CertificateExtensions.Add(NameConstraints.Build([.. names, "localhost", "127.0.0.1"]));
        var now = DateTimeOffset.UtcNow;
        return new TestCa(key, req.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30)));
    }

    /// <summary>Writes the CA certificate (no key) as &lt;dataDir&gt;/tls/kiln-ca.pem, readable by every user.</summary>
    public string WriteTo(string dataDir)
    {
        var dir = Directory.CreateDirectory(Path.Combine(dataDir, "tls")).FullName;
        File.SetUnixFileMode(dataDir, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        var pem = Path.Combine(dir, "kiln-ca.pem");
        File.WriteAllText(pem, Certificate.ExportCertificatePem() + "\n");
        File.SetUnixFileMode(pem, (UnixFileMode)0b110_100_100);
        return pem;
    }

    /// <summary>A server certificate for <paramref name="host"/> signed by this CA, as PEM.</summary>
    public string LeafPem(string host)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + host, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(host);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var leaf = req.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddMinutes(-1), now.AddDays(1), [1, 2, 3, 4]);
        return leaf.ExportCertificatePem() + "\n";
    }

    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }
}
