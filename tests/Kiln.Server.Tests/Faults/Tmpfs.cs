using System.Diagnostics;
using System.Globalization;

namespace Kiln.Server.Tests.Faults;

/// <summary>A small tmpfs mounted over a directory, so the disk really fills up. Needs root (CI runs as root).</summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string dir) => Dir = dir;

    public string Dir { get; }
    private string Filler => Path.Combine(Dir, "filler.bin");

    public static Tmpfs Mount(int megabytes)
    {
        var dir = Directory.CreateTempSubdirectory("kiln-diskfull-").FullName;
        var (code, output) = FaultShell.TryRun("mount", "-t", "tmpfs", "-o", $"size={megabytes.ToString(CultureInfo.InvariantCulture)}m,mode=0755", "tmpfs", dir);
        Assert.True(code == 0, $"The disk-full test needs to mount a tmpfs (run as root, as CI does): mount exited {code}: {output}");
        return new Tmpfs(dir);
    }

    /// <summary>Writes a filler file until the file system answers ENOSPC.</summary>
    public void Fill()
    {
        using var f = new FileStream(Filler, FileMode.Append, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        foreach (var chunk in new[] { 1 << 20, 4096, 512 })
        {
            var buffer = new byte[chunk];
            try
            {
                while (true) { f.Write(buffer); f.Flush(); }
            }
            catch (IOException) { /* full at this granularity; try a smaller chunk */ }
        }
    }

    public void Free() => File.Delete(Filler);

    public void Dispose()
    {
        if (FaultShell.TryRun("umount", Dir).Code != 0) FaultShell.TryRun("umount", "-l", Dir);
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

public static class FaultShell
{
    public static void Run(string file, params string[] args)
    {
        var (code, output) = TryRun(file, args);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}: {output}");
    }

    public static (int Code, string Output) TryRun(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }
}
