using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Hosting.Tls;

// API for `kiln trust` and `kiln env` (docs/adobe-hosts.md#the-ca):
//   await using var sp = AdminCommand.Services(parse);          // data dir prepared, KEK loaded (as kiln admin does)
//   string pem = await KilnCa.EnsurePemFileAsync(sp, ct);        // migrates the database, makes the CA once, writes
//                                                                // <data>/tls/kiln-ca.pem (0600 in a 0700 dir; the content is public)
//   string bundle = await KilnCa.WriteBundleAsync(dataDirFullPath, pem, ct);   // system roots + Kiln's CA
//   AdobeHosts.AdobeNames   the Adobe host names a hosts-file block maps (no localhost)
//   AdobeHosts.ServedNames  every name the CA permits before operator additions (Kiln:AdobeHosts:ExtraNames)
// The CA is one per installation: its certificate and its private key (wrapped with the KEK) live in ServerSettings,
// so every node of a cluster serves the same CA.

/// <summary>Kiln's local certificate authority: ECDSA P-256, name-constrained to the served host names.</summary>
public sealed class KilnCa : IDisposable
{
    public const string CertificateSetting = "tls.ca.certificate";
    public const string PrivateKeySetting = "tls.ca.private_key";
    public const string PemFileName = "kiln-ca.pem";
    public const string BundleFileName = "ca-bundle.pem";
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(3650);

    /// <summary>Where the system's own roots usually are (Debian/Ubuntu, RHEL/Fedora, Alpine/macOS/BSD).</summary>
    public static readonly IReadOnlyList<string> SystemBundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];

    private KilnCa(X509Certificate2 certificate, IReadOnlyList<string> names)
    {
        Certificate = certificate;
        PermittedNames = names;
    }

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The names its Name Constraints permit.</summary>
    public IReadOnlyList<string> PermittedNames { get; }

    public string Pem => Certificate.ExportCertificatePem() + "\n";

    public static string TlsDirectory(string dataDir) => Path.Combine(Path.GetFullPath(dataDir), "tls");

    public static string PemPath(string dataDir) => Path.Combine(TlsDirectory(dataDir), PemFileName);

    public static string BundlePath(string dataDir) => Path.Combine(TlsDirectory(dataDir), BundleFileName);

    /// <summary>A new CA that may sign only for <paramref name="names"/>.</summary>
    public static KilnCa Create(IReadOnlyList<string> names, TimeProvider clock)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("Kiln");
        subject.AddCommonName("Kiln local CA " + RandomNumberGenerator.GetHexString(8, lowercase: true) + " (Adobe host names only)");
        var req = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, critical: false));
        req.CertificateExtensions.Add(NameConstraints.Build(names));
        var now = clock.GetUtcNow();
        return new KilnCa(req.CreateSelfSigned(now.AddMinutes(-5), now + Lifetime), names);
    }

    /// <summary>
    /// The installation's CA from the database, made once by whichever node gets there first (the same race rule as
    /// <see cref="KeysAtRest.SecretSettingAsync"/>). <paramref name="names"/> null: whatever names the stored CA has.
    /// When the stored CA was made for other names, <paramref name="reissue"/> replaces it; otherwise this throws
    /// <see cref="KilnCaException"/>, since a CA's constraints cannot change (docs/adobe-hosts.md#changing-the-names).
    /// </summary>
    public static async Task<KilnCa> LoadOrCreateAsync(KilnDb db, KeyEncryption kek, IReadOnlyList<string>? names, bool reissue, TimeProvider clock, ILogger log, CancellationToken ct)
    {
        var loaded = await LoadAsync(db, kek, ct);
        if (loaded is null)
        {
            using (var fresh = Create(names ?? AdobeHosts.ServedNames, clock))
            {
                if (await TryInsertAsync(db, kek, fresh, ct)) log.LogInformation("Made the Kiln CA for {Names}", string.Join(", ", fresh.PermittedNames));
            }
            loaded = await LoadAsync(db, kek, ct) ?? throw new KilnCaException("The Kiln CA could not be stored.");
        }
        if (names is null || SameNames(loaded.PermittedNames, names)) return loaded;
        if (!reissue)
        {
            var message = $"Kiln's CA was made for {string.Join(", ", loaded.PermittedNames)}, but the configured names are "
                + $"{string.Join(", ", names)}. A CA's name constraints cannot change. Start once with --reissue-ca "
                + "(Kiln:AdobeHosts:ReissueCa=true) to replace it; every machine that trusts the old CA must then trust the new one (docs/adobe-hosts.md#changing-the-names).";
            loaded.Dispose();
            throw new KilnCaException(message);
        }
        var old = loaded.Certificate.Thumbprint;
        loaded.Dispose();
        using (var replacement = Create(names, clock))
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            await db.ServerSettings.Where(s => s.Key == CertificateSetting || s.Key == PrivateKeySetting).ExecuteDeleteAsync(ct);
            db.ServerSettings.AddRange(Rows(kek, replacement));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            db.ChangeTracker.Clear();
        }
        log.LogWarning("Replaced the Kiln CA {Old} with one for {Names}; machines that trusted the old one must trust the new one", old, string.Join(", ", names));
        return await LoadAsync(db, kek, ct) ?? throw new KilnCaException("The Kiln CA could not be stored.");
    }

    private static bool SameNames(IReadOnlyList<string> a, IReadOnlyList<string> b) => a.ToHashSet(StringComparer.Ordinal).SetEquals(b);

    private static async Task<bool> TryInsertAsync(KilnDb db, KeyEncryption kek, KilnCa ca, CancellationToken ct)
    {
        // Both rows in one SaveChanges (one transaction): a node that loses the race stores neither and reads the winner's.
        db.ServerSettings.AddRange(Rows(kek, ca));
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            return false;
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    private static ServerSetting[] Rows(KeyEncryption kek, KilnCa ca)
    {
        using var key = ca.Certificate.GetECDsaPrivateKey()!;
        var pkcs8 = key.ExportPkcs8PrivateKey();
        try
        {
            return
            [
                new ServerSetting { Key = CertificateSetting, Value = ca.Certificate.ExportCertificatePem() },
                new ServerSetting { Key = PrivateKeySetting, Value = kek.WrapText(pkcs8, KeysAtRest.SettingPurpose(PrivateKeySetting)) },
            ];
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static async Task<KilnCa?> LoadAsync(KilnDb db, KeyEncryption kek, CancellationToken ct)
    {
        var rows = await db.ServerSettings.AsNoTracking().Where(s => s.Key == CertificateSetting || s.Key == PrivateKeySetting).ToDictionaryAsync(s => s.Key, s => s.Value, ct);
        if (!rows.TryGetValue(CertificateSetting, out var pem) || !rows.TryGetValue(PrivateKeySetting, out var wrapped)) return null;
        // The key is wrapped under the setting's purpose, so `kiln admin rotate-kek` re-wraps it with the other settings.
        var pkcs8 = kek.UnwrapText(wrapped, KeysAtRest.SettingPurpose(PrivateKeySetting));
        try
        {
            using var cert = X509Certificate2.CreateFromPem(pem);
            using var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            var withKey = cert.CopyWithPrivateKey(key);
            var names = NameConstraints.Read(withKey) ?? throw new KilnCaException("The stored Kiln CA has no readable name constraints.");
            return new KilnCa(withKey, names);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>Writes the CA certificate to <c>&lt;data&gt;/tls/kiln-ca.pem</c> (the folder 0700, the file 0600 like the rest of the data directory; its content is public) when it differs; returns the path.</summary>
    public async Task<string> WritePemAsync(string dataDir, CancellationToken ct)
    {
        var path = PemPath(dataDir);
        await WriteDataFileAsync(path, Pem, ct);
        return path;
    }

    /// <summary>
    /// Writes <c>&lt;data&gt;/tls/ca-bundle.pem</c>: the system's roots (the first of <see cref="SystemBundles"/> that exists)
    /// followed by Kiln's CA, for runtimes that take one bundle instead of an extra CA (Python requests, SSL_CERT_FILE).
    /// </summary>
    public static async Task<string> WriteBundleAsync(string dataDir, string pemPath, CancellationToken ct)
    {
        var system = SystemBundles.FirstOrDefault(File.Exists) is { } found ? await File.ReadAllTextAsync(found, ct) : "";
        if (system.Length > 0 && !system.EndsWith('\n')) system += "\n";
        var path = BundlePath(dataDir);
        await WriteDataFileAsync(path, system + "# Kiln local CA (docs/adobe-hosts.md)\n" + await File.ReadAllTextAsync(pemPath, ct), ct);
        return path;
    }

    /// <summary>
    /// For <c>kiln env</c> and <c>kiln trust</c>: with the services of <c>kiln admin</c> (data directory prepared, KEK
    /// loaded), migrates the database, makes the CA if there is none yet (for the configured
    /// <c>Kiln:AdobeHosts:ExtraNames</c>), writes its PEM file and returns that file's path.
    /// </summary>
    public static async Task<string> EnsurePemFileAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        await Schema.MigrateAsync(db, ct);
        var kiln = services.GetRequiredService<IOptions<KilnOptions>>().Value;
        var extra = services.GetService<IConfiguration>() is { } config ? AdobeHostsOptions.From(config).ExtraNames : [];
        var log = services.GetService<ILoggerFactory>()?.CreateLogger(typeof(KilnCa).FullName!) ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        var clock = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var stored = await LoadAsync(db, services.GetRequiredService<KeyEncryption>(), ct);
        using var ca = stored ?? await LoadOrCreateAsync(db, services.GetRequiredService<KeyEncryption>(), AdobeHosts.Names(extra), reissue: false, clock, log, ct);
        return await ca.WritePemAsync(kiln.FullDataDir, ct);
    }

    /// <summary>Writes a file 0600 (like everything in the data directory) in the 0700 <c>tls</c> folder, unless it already holds <paramref name="content"/>.</summary>
    private static async Task WriteDataFileAsync(string path, string content, CancellationToken ct)
    {
        var dir = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(dir))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
            else Directory.CreateDirectory(dir, DataDirectory.DirMode);
        }
        if (File.Exists(path) && await File.ReadAllTextAsync(path, ct) == content) return;
        await SecureFile.WriteAllTextAsync(path, content, ct);
    }

    /// <summary>A leaf certificate (with its private key) for one served name, valid until <paramref name="notAfter"/> at most.</summary>
    public X509Certificate2 Issue(string name, DateTimeOffset now, DateTimeOffset notAfter)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(name);
        var req = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        if (name == "localhost")
        {
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            san.AddIpAddress(IPAddress.IPv6Loopback);
        }
        else if (IPAddress.TryParse(name, out var ip)) san.AddIpAddress(ip);
        else san.AddDnsName(name);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], critical: false));
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, critical: false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        var from = now.AddMinutes(-5) < Certificate.NotBefore.ToUniversalTime() ? new DateTimeOffset(Certificate.NotBefore.ToUniversalTime()) : now.AddMinutes(-5);
        var until = notAfter > Certificate.NotAfter.ToUniversalTime() ? new DateTimeOffset(Certificate.NotAfter.ToUniversalTime()) : notAfter;
        using var issued = req.Create(Certificate, from, until, serial);
        return issued.CopyWithPrivateKey(key);
    }

    public void Dispose() => Certificate.Dispose();
}

/// <summary>The CA cannot be used as configured: Kiln refuses to start with this message.</summary>
public sealed class KilnCaException(string message) : Exception(message);
