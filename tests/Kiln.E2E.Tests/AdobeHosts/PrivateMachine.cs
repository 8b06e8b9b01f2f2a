using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.E2E.Tests.AdobeHosts;

/// <summary>How the namespace's /etc/hosts is made.</summary>
public enum HostsSetup
{
    /// <summary>A copy bind-mounted over /etc/hosts, as in containers: rename() over it fails (EBUSY), so kiln trust writes in place.</summary>
    BindMountedFile,
    /// <summary>/etc is an overlay whose writes land in a temporary directory: /etc/hosts is a regular file, so kiln trust renames a temporary file over it.</summary>
    RegularFileInOverlay,
}

/// <summary>
/// A private copy of this machine's name and trust configuration, used through Linux namespaces so that the real
/// machine is never changed (CI runs as root). Each <see cref="RunAsync"/> is one
/// <c>unshare --mount --propagation private</c> bash script in which /etc/hosts, /etc/ssl/certs and
/// /usr/local/share/ca-certificates are this machine's copies; the copies live in <see cref="Root"/> and keep their
/// state from one script to the next, so a test can run <c>kiln trust</c> in one and <c>--undo</c> in another and
/// compare the files in between from outside.
///
/// With <c>network: true</c> the script also gets its own network namespace (<c>unshare --net</c>), with only a
/// loopback interface. That is how the client tests run: <c>kiln serve --adobe-hosts --https-port 443</c> and the
/// clients run inside the same script, so port 443 is private to each test (no clash between tests running in
/// parallel, nothing reachable from or to the real network), and Kiln there uses SQLite and local disk because the
/// suite's PostgreSQL and S3 listen on the real loopback.
/// </summary>
public sealed class PrivateMachine : IDisposable
{
    private int _scripts;

    private PrivateMachine(string root, HostsSetup setup)
    {
        Root = root;
        Setup = setup;
    }

    public string Root { get; }
    public HostsSetup Setup { get; }
    public string Certs => Path.Combine(Root, "etc-ssl-certs");
    public string LocalCa => Path.Combine(Root, "local-ca");
    /// <summary>The file that the namespace sees as /etc/hosts (after the first script, for the overlay setup).</summary>
    public string Hosts => Setup == HostsSetup.BindMountedFile ? Path.Combine(Root, "hosts") : Path.Combine(Root, "etc-upper", "hosts");

    /// <summary>
    /// Copies the machine's files, puts <paramref name="hostsContent"/> (default: this machine's /etc/hosts) in place,
    /// and runs update-ca-certificates once on the copy, so the copy is in the state Debian's tool leaves (a machine
    /// can hold a hand-copied certificate there that the tool replaces with a link).
    /// </summary>
    public static async Task<PrivateMachine> CreateAsync(HostsSetup setup = HostsSetup.BindMountedFile, byte[]? hostsContent = null, string hostsOwnerAndMode = "")
    {
        var root = Directory.CreateTempSubdirectory("kiln-ns-").FullName;
        File.SetUnixFileMode(root, (UnixFileMode)0b111_101_101); // 0755: `nobody` reaches the data directory inside
        var m = new PrivateMachine(root, setup);
        Shell("cp", "-a", "/etc/ssl/certs", m.Certs);
        Shell("cp", "-a", "/usr/local/share/ca-certificates", m.LocalCa);
        var hosts = Path.Combine(root, "hosts");
        File.WriteAllBytes(hosts, hostsContent ?? File.ReadAllBytes("/etc/hosts"));
        File.SetUnixFileMode(hosts, File.GetUnixFileMode("/etc/hosts"));
        if (setup == HostsSetup.RegularFileInOverlay)
        {
            Directory.CreateDirectory(Path.Combine(root, "etc-upper"));
            Directory.CreateDirectory(Path.Combine(root, "etc-work"));
        }
        // The overlay's /etc/hosts is written once here (copied up into etc-upper), with its owner and mode.
        var init = setup == HostsSetup.RegularFileInOverlay ? $"cat '{hosts}' > /etc/hosts\n" : "";
        if (hostsOwnerAndMode.Length > 0)
        {
            var parts = hostsOwnerAndMode.Split(' ');
            init += $"chown {parts[0]} /etc/hosts && chmod {parts[1]} /etc/hosts\n";
        }
        var r = await m.RunAsync(init + "update-ca-certificates --hooksdir /dev/null >/dev/null 2>&1 || exit 9\n");
        Assert.True(r.Code == 0, $"preparing the private machine failed: {r}");
        return m;
    }

    /// <summary>Runs a bash script in a private mount (and optionally network) namespace with this machine's copies mounted.</summary>
    public async Task<ShellResult> RunAsync(string script, bool network = false, TimeSpan? timeout = null)
    {
        var file = Path.Combine(Root, $"script-{Interlocked.Increment(ref _scripts)}.sh");
        var prelude = new StringBuilder("set -u\n");
        if (Setup == HostsSetup.RegularFileInOverlay)
            prelude.Append($"mount -t overlay overlay -o lowerdir=/etc,upperdir='{Root}/etc-upper',workdir='{Root}/etc-work' /etc || exit 90\n");
        else prelude.Append($"mount --bind '{Root}/hosts' /etc/hosts || exit 90\n");
        prelude.Append($"mount --bind '{Certs}' /etc/ssl/certs || exit 91\n");
        prelude.Append($"mount --bind '{LocalCa}' /usr/local/share/ca-certificates || exit 92\n");
        if (network) prelude.Append("ip link set lo up || exit 93\n");
        prelude.Append($"kiln() {{ dotnet '{KilnProcess.KilnDll}' \"$@\"; }}\n");
        // As `nobody` (no rights at all): `as_nobody kiln trust ...`.
        prelude.Append($"as_nobody() {{ setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=/tmp DOTNET_CLI_HOME=/tmp \"$@\"; }}\n");
        prelude.Append($"as_nobody_kiln() {{ as_nobody dotnet '{KilnProcess.KilnDll}' \"$@\"; }}\n");
        await File.WriteAllTextAsync(file, prelude + script);
        string[] args = network ? ["--mount", "--net", "--propagation", "private", "bash", file] : ["--mount", "--propagation", "private", "bash", file];
        return await ShellResult.RunAsync("unshare", args, timeout ?? TimeSpan.FromMinutes(3));
    }

    /// <summary>Every file under the copies (and the hosts file): content hash, mode and link target, by relative path.</summary>
    public IReadOnlyDictionary<string, string> Snapshot()
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, dir) in new[] { ("certs", Certs), ("local", LocalCa) }) Walk(all, name, dir);
        if (Setup == HostsSetup.RegularFileInOverlay) Walk(all, "etc-upper", Path.Combine(Root, "etc-upper"));
        else all["hosts"] = Describe(new FileInfo(Hosts));
        return all;
    }

    /// <summary>The real machine's files that the tests must never change, and /etc's names (no temporary file left there).</summary>
    public static IReadOnlyDictionary<string, string> RealMachine()
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Walk(all, "/etc/ssl/certs", "/etc/ssl/certs");
        Walk(all, "/usr/local/share/ca-certificates", "/usr/local/share/ca-certificates");
        all["/etc/hosts"] = Describe(new FileInfo("/etc/hosts"));
        all["/etc names"] = string.Join(",", Directory.EnumerateFileSystemEntries("/etc").Order(StringComparer.Ordinal));
        return all;
    }

    /// <summary>Names of the entries that differ, for a readable assertion message.</summary>
    public static string Diff(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after) =>
        string.Join("\n", before.Keys.Union(after.Keys).Order(StringComparer.Ordinal)
            .Where(k => !before.TryGetValue(k, out var b) || !after.TryGetValue(k, out var a) || a != b)
            .Select(k => $"{k}: {before.GetValueOrDefault(k, "(absent)")} -> {after.GetValueOrDefault(k, "(absent)")}"));

    private static void Walk(SortedDictionary<string, string> all, string name, string dir)
    {
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
            all[name + "/" + Path.GetRelativePath(dir, entry.FullName)] = Describe(entry);
    }

    private static string Describe(FileSystemInfo entry)
    {
        if (entry.LinkTarget is { } target) return "link -> " + target;
        var mode = Convert.ToString((int)entry.UnixFileMode, 8);
        if (entry is DirectoryInfo) return "dir " + mode;
        return $"file {mode} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(entry.FullName)))}";
    }

    private static void Shell(string file, params string[] args)
    {
        var r = ShellResult.RunAsync(file, args, TimeSpan.FromMinutes(1)).GetAwaiter().GetResult();
        if (r.Code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {r}");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A finished process: exit code and both streams.</summary>
public sealed record ShellResult(int Code, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {Code}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    public static async Task<ShellResult> RunAsync(string file, IReadOnlyList<string> args, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
            return new ShellResult(124, await stdout, await stderr + $"\n(killed after {timeout})");
        }
        return new ShellResult(p.ExitCode, await stdout, await stderr);
    }
}
