using System.Diagnostics;
using System.Globalization;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Faults;

/// <summary>
/// A short crash loop in CI: three rounds of kill -9 under mixed write load with the checks of bench/crash-loop.sh
/// (acknowledged secrets kept, deleted secrets refused, accepted jobs terminal, SQLite integrity_check ok), run by the
/// Kiln.Load tool that the solution build produces. The 20-round runs are in docs/reliability.md.
/// </summary>
public sealed class CrashLoopTests
{
    [Fact]
    public async Task Three_kill_9_rounds_lose_no_acknowledged_write_and_leave_no_job_behind()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Kiln.slnx"))) root = Path.GetDirectoryName(root);
        Assert.NotNull(root);
        var config = AppContext.BaseDirectory.Contains("/bin/Debug/", StringComparison.Ordinal) ? "Debug" : "Release";
        var tool = Directory.Exists(Path.Combine(root, "bench", "Kiln.Load", "bin", config))
            ? Directory.GetFiles(Path.Combine(root, "bench", "Kiln.Load", "bin", config), "Kiln.Load.dll", SearchOption.AllDirectories).FirstOrDefault()
            : null;
        Assert.True(tool is not null, $"bench/Kiln.Load is not built ({config}); `dotnet build Kiln.slnx -c {config}` builds it");
        var database = TestDatabase.IsPostgres ? Environment.GetEnvironmentVariable("KILN_TEST_POSTGRES")! : "sqlite";

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { tool, "crash", KilnProcess.KilnDll, database, "3", "150", KilnProcess.FreePort().ToString(CultureInfo.InvariantCulture), "7" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try { await p.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException) { p.Kill(entireProcessTree: true); }
        var output = await stdout + await stderr;
        Assert.True(p.HasExited && p.ExitCode == 0, "crash loop failed:\n" + output);
        Assert.Contains("| violations | 0 |", output, StringComparison.Ordinal);
        Assert.Contains("| rounds (kill -9) | 3 in", output, StringComparison.Ordinal);
    }
}
