using System.Diagnostics;

namespace Kiln.Cli.Trust;

/// <summary>
/// The machine's hosts file: where it is, whether this user may write it, and a write that keeps its mode and owner.
/// A write goes to a temporary file in the same directory that is renamed over the original (atomic), except where
/// the file is a mount point (a bind mount, as in containers and the tests' private namespaces, where rename() fails
/// with EBUSY) or on Windows: there it is written in place, which keeps mode, owner and ACLs by itself.
/// </summary>
public sealed class HostsFile(string path)
{
    /// <summary>The file the system reads; a symbolic link is followed, so the link itself is never replaced.</summary>
    public string FilePath { get; } = Resolve(path);

    public static HostsFile ForThisMachine() => new(OperatingSystem.IsWindows()
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.System), "drivers", "etc", "hosts")
        : "/etc/hosts");

    public string ReadText() => File.Exists(FilePath) ? HostsText.Bytes.GetString(File.ReadAllBytes(FilePath)) : "";

    /// <summary>Null if this process may rewrite the file, else the missing right as a sentence. Opening for writing changes nothing.</summary>
    public string? MissingRight()
    {
        try
        {
            using var _ = new FileStream(FilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return OperatingSystem.IsWindows() ? $"writing {FilePath} needs an administrator: run from an elevated prompt" : $"writing {FilePath} needs root: run with sudo";
        }
        catch (FileNotFoundException) { return $"{FilePath} does not exist"; }
        catch (IOException e) { return $"{FilePath} cannot be opened for writing: {e.Message}"; }
    }

    /// <summary>How <see cref="Write"/> will write, for --dry-run.</summary>
    public string WriteMethod => OperatingSystem.IsWindows() || IsMountPoint(FilePath) ? "in place" : "to a temporary file in the same directory, renamed over it";

    public void Write(string text)
    {
        var bytes = HostsText.Bytes.GetBytes(text);
        if (OperatingSystem.IsWindows() || IsMountPoint(FilePath)) { WriteInPlace(bytes); return; }
        var dir = Path.GetDirectoryName(FilePath)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(FilePath)}.kiln-{Environment.ProcessId}.tmp");
        try
        {
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }
            File.SetUnixFileMode(temp, File.GetUnixFileMode(FilePath));
            CopyOwner(FilePath, temp);
            File.Move(temp, FilePath, overwrite: true);
        }
        catch (IOException)
        {
            // rename() over a bind-mounted file (EBUSY) or a directory we may not write: the file itself is writable.
            TryDelete(temp);
            WriteInPlace(bytes);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    private void WriteInPlace(byte[] bytes)
    {
        using var f = new FileStream(FilePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        f.Write(bytes);
        f.SetLength(bytes.Length);
        f.Flush(flushToDisk: true);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Gives <paramref name="to"/> the owner and group of <paramref name="from"/> when they differ (stat and chown: .NET has no API for owners).</summary>
    private static void CopyOwner(string from, string to)
    {
        var want = Owner(from);
        if (want is null || want == Owner(to)) return;
        var (code, output) = TrustCommandRunner.Run("chown", [want, to]);
        if (code != 0) throw new IOException($"chown {want} {to} failed: {output.Trim()}");
    }

    private static string? Owner(string path)
    {
        var (code, output) = TrustCommandRunner.Run("stat", OperatingSystem.IsMacOS() ? ["-f", "%u:%g", path] : ["-c", "%u:%g", path]);
        return code == 0 ? output.Trim() : null;
    }

    /// <summary>Whether the path is itself a mount point (Linux: /proc/self/mountinfo; elsewhere: assumed not).</summary>
    private static bool IsMountPoint(string path)
    {
        const string mountinfo = "/proc/self/mountinfo";
        if (!File.Exists(mountinfo)) return false;
        foreach (var line in File.ReadLines(mountinfo))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) == path) return true;
        }
        return false;
    }

    private static string Unescape(string field) =>
        field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
             .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);

    private static string Resolve(string path)
    {
        var full = Path.GetFullPath(path);
        try { return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full; }
        catch (IOException) { return full; }
    }
}

/// <summary>Runs an OS tool and captures its output (stdout and stderr together).</summary>
public static class TrustCommandRunner
{
    public static (int Code, string Output) Run(string file, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stdout.Result + stderr);
        }
        catch (System.ComponentModel.Win32Exception e) { return (127, $"{file}: {e.Message}"); }
    }

    /// <summary>The tool's full path from PATH, /usr/sbin or /sbin (sudo and cron often run with a short PATH), or null.</summary>
    public static string? Find(string name)
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]);
        foreach (var d in dirs)
        {
            var full = Path.Combine(d, name);
            if (File.Exists(full)) return full;
        }
        return null;
    }
}
