extern alias cli;

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kiln.Server.Hosting.Tls;
using EnvCommand = cli::Kiln.Cli.Commands.EnvCommand;

namespace Kiln.Server.Tests.Tls;

/// <summary>
/// docs/adobe-hosts.md#the-ca: Kiln's CA may sign only for the names it serves, so even its stolen key cannot
/// impersonate another site: a leaf for example.com signed with it fails validation in .NET and in OpenSSL.
/// </summary>
public sealed class CaTests : IDisposable
{
    private const string Extra = "kiln.build.internal";
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-ca-").FullName;
    private readonly KilnCa _ca = KilnCa.Create(AdobeHosts.Names([Extra]), TimeProvider.System);

    public void Dispose()
    {
        _ca.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Pem(string name, X509Certificate2 cert)
    {
        var path = Path.Combine(_dir, name + ".pem");
        File.WriteAllText(path, cert.ExportCertificatePem() + "\n");
        return path;
    }

    private X509Certificate2 PublicCa => X509Certificate2.CreateFromPem(_ca.Certificate.ExportCertificatePem());

    /// <summary>What an attacker holding the CA's private key would sign: a plain server leaf for any name.</summary>
    private X509Certificate2 ForgedLeaf(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(name, out var ip)) san.AddIpAddress(ip); else san.AddDnsName(name);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var now = DateTimeOffset.UtcNow;
        return req.Create(_ca.Certificate, now.AddMinutes(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(12));
    }

    [Fact]
    public async Task The_CA_is_a_P256_CA_with_critical_name_constraints_for_exactly_the_served_names()
    {
        var pem = Pem("ca", PublicCa);
        // OpenSSL's reading of the extensions, not Kiln's own parser.
        var (code, text, err) = await HostsKit.RunAsync("openssl", "x509", "-in", pem, "-noout", "-ext", "nameConstraints,basicConstraints,keyUsage");
        Assert.True(code == 0, err);
        Assert.Contains("X509v3 Name Constraints: critical", text, StringComparison.Ordinal);
        Assert.Contains("X509v3 Basic Constraints: critical", text, StringComparison.Ordinal);
        Assert.Contains("CA:TRUE, pathlen:0", text, StringComparison.Ordinal);
        Assert.Contains("X509v3 Key Usage: critical", text, StringComparison.Ordinal);
        Assert.Contains("Certificate Sign, CRL Sign", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Excluded", text, StringComparison.Ordinal);

        var permitted = new List<string>();
        foreach (var line in text.Split('\n').Select(l => l.Trim()))
        {
            if (line.StartsWith("DNS:", StringComparison.Ordinal)) permitted.Add(line[4..]);
            else if (line.StartsWith("IP:", StringComparison.Ordinal))
            {
                var (address, mask) = (line[3..line.IndexOf('/', StringComparison.Ordinal)], line[(line.IndexOf('/', StringComparison.Ordinal) + 1)..]);
                Assert.All(IPAddress.Parse(mask).GetAddressBytes(), b => Assert.Equal(0xFF, b)); // one address, not a range
                permitted.Add(IPAddress.Parse(address).ToString());
            }
        }
        string[] expected =
        [
            "ims-na1.adobelogin.com", "firefly-api.adobe.io", "api.adobe.io", "developers.adobe.io", "developer.adobe.com",
            "ims-na1-stg1.adobelogin.com", "developer-stage.adobe.com", "localhost", "127.0.0.1", "::1", Extra,
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), permitted.Order(StringComparer.Ordinal));

        using var key = _ca.Certificate.GetECDsaPublicKey()!;
        Assert.Equal(256, key.KeySize);
        Assert.Equal(expected.Order(StringComparer.Ordinal), NameConstraints.Read(_ca.Certificate)!.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("adobe.io")]
    [InlineData("evil-firefly-api.adobe.io")]
    [InlineData("10.0.0.1")]
    public async Task A_leaf_for_another_site_signed_with_the_CA_key_fails_X509Chain_and_openssl_verify(string name)
    {
        using var forged = ForgedLeaf(name);
        var (valid, flags) = HostsKit.Chain(forged, PublicCa);
        Assert.False(valid, $"{name}: the chain built");
        Assert.True(flags.HasFlag(X509ChainStatusFlags.HasNotPermittedNameConstraint), $"{name}: {flags}");

        var (code, output, err) = await HostsKit.RunAsync("openssl", "verify", "-CAfile", Pem("ca", PublicCa), "-purpose", "sslserver", Pem(name, forged));
        Assert.NotEqual(0, code);
        Assert.Contains("permitted subtree violation", output + err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("firefly-api.adobe.io")]
    [InlineData("ims-na1.adobelogin.com")]
    [InlineData("localhost")]
    [InlineData(Extra)]
    public async Task A_leaf_for_a_served_name_passes_both(string name)
    {
        // Kiln's own leaf, and the same name signed the attacker's way: the name decides, not the signer.
        var now = DateTimeOffset.UtcNow;
        using var issued = _ca.Issue(name, now, now.AddDays(7));
        using var forged = ForgedLeaf(name);
        foreach (var (leaf, label) in new[] { (issued, "issued"), (forged, "forged") })
        {
            var (valid, flags) = HostsKit.Chain(X509CertificateLoader.LoadCertificate(leaf.RawData), PublicCa);
            Assert.True(valid, $"{label} {name}: {flags}");
            var (code, output, err) = await HostsKit.RunAsync("openssl", "verify", "-CAfile", Pem("ca", PublicCa), "-purpose", "sslserver", Pem(name + label, leaf));
            Assert.True(code == 0, $"{label} {name}: {output}{err}");
        }
        Assert.True(issued.HasPrivateKey);
        Assert.Contains(issued.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.1");
        Assert.True(issued.NotAfter - issued.NotBefore <= TimeSpan.FromDays(8));
    }

    [Fact]
    public async Task Env_values_are_single_quoted_words_for_a_POSIX_shell()
    {
        const string value = "/tmp/it's a \"dir\" $HOME `id` \\ ;";
        var (code, output, err) = await HostsKit.RunAsync("sh", "-c", "printf %s " + EnvCommand.Quote(value));
        Assert.True(code == 0, err);
        Assert.Equal(value, output);
    }
}
