using System.Diagnostics;
using static Kiln.Load.Stats;

namespace Kiln.Load;

/// <summary>
/// Start-up (issue 17): <c>kiln serve</c> on an existing data dir until <c>/health/live</c> answers 200, against
/// <c>kiln --version</c> (process start alone), alternately, in one run. The first start (which creates the data dir) is
/// reported apart and not counted.
/// </summary>
public static class StartupBench
{
    public const double BudgetSeconds = 1.0;

    public static async Task<int> RunAsync(string kilnDll, int runs, int port)
    {
        var root = Directory.CreateTempSubdirectory("kiln-startup-").FullName;
        var dataDir = Path.Combine(root, "data");
        try
        {
            var first = await ServeAsync(kilnDll, dataDir, port);
            var version = new List<double>();
            var live = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                if (i % 2 == 0) { version.Add(await VersionAsync(kilnDll)); live.Add(await ServeAsync(kilnDll, dataDir, port)); }
                else { live.Add(await ServeAsync(kilnDll, dataDir, port)); version.Add(await VersionAsync(kilnDll)); }
            }
            var own = live.Zip(version, (l, v) => l - v).ToList();
            Console.WriteLine(F($"Start-up, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, framework-dependent Release `dotnet kiln.dll`, {runs} pairs"));
            Console.WriteLine();
            Console.WriteLine("| Figure | median | min | max |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine(F($"| first start, empty data dir, to /health/live 200 | {first:F2} s | | |"));
            Console.WriteLine(F($"| `kiln --version` (process start alone) | {Median(version):F2} s | {version.Min():F2} | {version.Max():F2} |"));
            Console.WriteLine(F($"| `kiln serve`, existing data dir, to /health/live 200 | **{Median(live):F2} s** | {live.Min():F2} | {live.Max():F2} |"));
            Console.WriteLine(F($"| serve minus --version, paired | {Median(own):F2} s | {own.Min():F2} | {own.Max():F2} |"));
            Console.WriteLine(F($"| serve / --version, median of paired ratios | {Median(live.Zip(version, (l, v) => l / v)):F2} | | |"));
            Console.WriteLine();
            Console.WriteLine(F($"- budget: live < {BudgetSeconds:F1} s: **{(Median(live) < BudgetSeconds ? "met" : "missed")}**"));
            return Median(live) < BudgetSeconds ? 0 : 3;
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    private static async Task<double> VersionAsync(string kilnDll)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(kilnDll);
        psi.ArgumentList.Add("--version");
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> ServeAsync(string kilnDll, string dataDir, int port)
    {
        var url = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { kilnDll, "serve", "--urls", url, "--data", dataDir }) psi.ArgumentList.Add(a);
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        try
        {
            while (sw.Elapsed < TimeSpan.FromSeconds(60))
            {
                if (p.HasExited) throw new InvalidOperationException($"kiln serve exited with {p.ExitCode}");
                try
                {
                    using var res = await http.GetAsync(url + "/health/live");
                    if (res.IsSuccessStatusCode) return sw.Elapsed.TotalSeconds;
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
                await Task.Delay(10);
            }
            throw new TimeoutException("kiln serve did not answer /health/live");
        }
        finally
        {
            p.Kill(true);
            await p.WaitForExitAsync();
        }
    }
}
