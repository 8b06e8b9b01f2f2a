using System.Security.Cryptography.X509Certificates;

namespace Kiln.Cli.Trust;

/// <summary>
/// The operating system's trust store (docs/adobe-hosts.md#kiln-trust). Tested here: Debian and Ubuntu. Written from
/// the tools' documentation and not run here: RHEL/Fedora, macOS, Windows.
/// </summary>
public abstract class TrustStore
{
    public abstract string Name { get; }
    /// <summary>Why this store cannot be used on this machine, or null.</summary>
    public virtual string? Unavailable => null;
    /// <summary>The system's CA bundle file (for REQUESTS_CA_BUNDLE and SSL_CERT_FILE), where there is one.</summary>
    public virtual string? SystemBundle => null;
    /// <summary>The store's own world-readable copy of the CA, where it keeps one (the data directory's is the owner's only).</summary>
    public virtual string? InstalledCopy(TrustedCa ca) => null;
    public abstract string? MissingRight();
    /// <summary>Whether the CA is in place, and a sentence saying where.</summary>
    public abstract bool IsInstalled(TrustedCa ca, out string detail);
    public abstract IEnumerable<TrustStep> Install(TrustedCa ca);
    public abstract IEnumerable<TrustStep> Remove(TrustedCa ca);

    public static TrustStore ForThisMachine()
    {
        if (OperatingSystem.IsWindows()) return new WindowsStore();
        if (OperatingSystem.IsMacOS()) return new MacStore();
        if (TrustCommandRunner.Find("update-ca-certificates") is { } deb && Directory.Exists("/usr/local/share/ca-certificates"))
            return new AnchorDirectoryStore("Debian/Ubuntu", "/usr/local/share/ca-certificates", deb, DebianArgs(deb), "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs");
        if (TrustCommandRunner.Find("update-ca-trust") is { } rhel && Directory.Exists("/etc/pki/ca-trust/source/anchors"))
            return new AnchorDirectoryStore("RHEL/Fedora", "/etc/pki/ca-trust/source/anchors", rhel, ["extract"], "/etc/pki/tls/certs/ca-bundle.crt");
        return new UnknownStore();
    }

    /// <summary>
    /// update-ca-certificates without its hooks where the tool has --hooksdir (ca-certificates 2021 and later): the
    /// hooks rebuild other stores (Java's cacerts keystore) in ways that an undo could not restore byte for byte.
    /// Java gets the printed keytool line instead.
    /// </summary>
    private static string[] DebianArgs(string tool)
    {
        try { return File.ReadAllText(tool).Contains("--hooksdir", StringComparison.Ordinal) ? ["--hooksdir", "/dev/null"] : []; }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    protected static string NeedsRoot(string what) => $"{what} needs root: run with sudo";
}

/// <summary>
/// A directory of anchor files and a tool that rebuilds the bundle from it: Debian's update-ca-certificates, RHEL's
/// update-ca-trust. Debian's tool links each anchor into <paramref name="linkDir"/> (name.pem and an OpenSSL hash
/// link) but never removes the links of a deleted anchor, so undo removes those two links itself.
/// </summary>
public sealed class AnchorDirectoryStore(string distro, string dir, string tool, string[] toolArgs, string bundle, string? linkDir = null) : TrustStore
{
    public override string Name => $"{distro} system trust store ({dir}, {Path.GetFileName(tool)})";
    public override string SystemBundle => bundle;
    public override string? InstalledCopy(TrustedCa ca) => File.Exists(FileOf(ca)) ? FileOf(ca) : null;
    private string FileOf(TrustedCa ca) => Path.Combine(dir, $"kiln-{ca.ShortId}.crt");

    public override string? MissingRight() =>
        Environment.IsPrivilegedProcess ? null : NeedsRoot($"adding a file to {dir} and running {Path.GetFileName(tool)}");

    public override bool IsInstalled(TrustedCa ca, out string detail)
    {
        var file = FileOf(ca);
        var present = FileMatches(file, ca);
        var inBundle = InBundle(ca);
        detail = (present, inBundle) switch
        {
            (true, true) => $"installed: {file}, in {bundle}",
            (true, false) => $"{file} is present but not yet in {bundle} (run {Path.GetFileName(tool)})",
            (false, true) => $"{file} is missing but the CA is still in {bundle}",
            _ => "not installed",
        };
        return present && inBundle;
    }

    public override IEnumerable<TrustStep> Install(TrustedCa ca)
    {
        var file = FileOf(ca);
        var present = FileMatches(file, ca);
        if (!present) yield return new WriteFileStep(file, ca.Pem);
        if (!present || !InBundle(ca)) yield return new RunStep(tool, toolArgs);
    }

    public override IEnumerable<TrustStep> Remove(TrustedCa ca)
    {
        var file = FileOf(ca);
        var present = File.Exists(file);
        if (present) yield return new DeleteFileStep(file);
        var links = Links(ca).ToList();
        foreach (var link in links) yield return new DeleteFileStep(link);
        if (present || links.Count > 0 || InBundle(ca)) yield return new RunStep(tool, toolArgs);
    }

    /// <summary>The links Debian's tool made for this CA: name.pem to the anchor, and hash.N to name.pem.</summary>
    private IEnumerable<string> Links(TrustedCa ca)
    {
        if (linkDir is null || !Directory.Exists(linkDir)) yield break;
        var pem = $"kiln-{ca.ShortId}.pem";
        foreach (var entry in new DirectoryInfo(linkDir).EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is not { } target) continue;
            if ((entry.Name == pem && target == FileOf(ca)) || target == pem || target == Path.Combine(linkDir, pem)) yield return entry.FullName;
        }
    }

    private static bool FileMatches(string file, TrustedCa ca)
    {
        try { return File.Exists(file) && File.ReadAllText(file) == ca.Pem; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    private bool InBundle(TrustedCa ca)
    {
        try
        {
            if (!File.Exists(bundle)) return false;
            var flat = File.ReadAllText(bundle).Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal);
            return flat.Contains(Convert.ToBase64String(ca.Certificate.RawData), StringComparison.Ordinal);
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}

/// <summary>macOS: the System keychain through the <c>security</c> tool (not run here).</summary>
public sealed class MacStore : TrustStore
{
    private const string Keychain = "/Library/Keychains/System.keychain";
    private const string Security = "/usr/bin/security";
    public override string Name => $"macOS System keychain ({Keychain})";
    public override string? MissingRight() => Environment.IsPrivilegedProcess ? null : NeedsRoot($"trusting a certificate in {Keychain}");

    public override bool IsInstalled(TrustedCa ca, out string detail)
    {
        var (code, output) = TrustCommandRunner.Run(Security, ["find-certificate", "-a", "-Z", Keychain]);
        var found = code == 0 && output.Contains(ca.Certificate.Thumbprint, StringComparison.OrdinalIgnoreCase);
        detail = found ? $"installed in {Keychain}" : "not installed";
        return found;
    }

    public override IEnumerable<TrustStep> Install(TrustedCa ca)
    {
        if (IsInstalled(ca, out _)) yield break;
        yield return new RunStep(Security, ["add-trusted-cert", "-d", "-r", "trustRoot", "-k", Keychain, ca.PemPath]);
    }

    public override IEnumerable<TrustStep> Remove(TrustedCa ca)
    {
        if (!IsInstalled(ca, out _)) yield break;
        yield return new RunStep(Security, ["remove-trusted-cert", "-d", ca.PemPath]);
        yield return new RunStep(Security, ["delete-certificate", "-Z", ca.Certificate.Thumbprint, Keychain]);
    }
}

/// <summary>Windows: the LocalMachine Root store through .NET's X509Store (not run here).</summary>
public sealed class WindowsStore : TrustStore
{
    public override string Name => "Windows LocalMachine Root certificate store";
    public override string? MissingRight() => Environment.IsPrivilegedProcess ? null : "adding to the LocalMachine Root store needs an administrator: run from an elevated prompt";

    public override bool IsInstalled(TrustedCa ca, out string detail)
    {
        using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
        store.Open(OpenFlags.ReadOnly);
        var found = store.Certificates.Find(X509FindType.FindByThumbprint, ca.Certificate.Thumbprint, validOnly: false).Count > 0;
        detail = found ? $"installed (thumbprint {ca.Certificate.Thumbprint})" : "not installed";
        return found;
    }

    public override IEnumerable<TrustStep> Install(TrustedCa ca)
    {
        if (IsInstalled(ca, out _)) yield break;
        yield return new ApiStep($"add the CA (thumbprint {ca.Certificate.Thumbprint}) to the LocalMachine Root store", () => Change(s => s.Add(ca.Certificate)));
    }

    public override IEnumerable<TrustStep> Remove(TrustedCa ca)
    {
        if (!IsInstalled(ca, out _)) yield break;
        yield return new ApiStep($"remove the CA (thumbprint {ca.Certificate.Thumbprint}) from the LocalMachine Root store", () => Change(s => s.Remove(ca.Certificate)));
    }

    private static void Change(Action<X509Store> action)
    {
        using var store = new X509Store(StoreName.Root, StoreLocation.LocalMachine);
        store.Open(OpenFlags.ReadWrite);
        action(store);
    }
}

public sealed class UnknownStore : TrustStore
{
    public override string Name => "no supported trust store";
    public override string Unavailable =>
        "no supported trust store on this machine (Debian/Ubuntu update-ca-certificates, RHEL/Fedora update-ca-trust, macOS, Windows): add the CA by hand";
    public override string? MissingRight() => null;
    public override bool IsInstalled(TrustedCa ca, out string detail) { detail = "unknown (no supported trust store)"; return false; }
    public override IEnumerable<TrustStep> Install(TrustedCa ca) => [];
    public override IEnumerable<TrustStep> Remove(TrustedCa ca) => [];
}
