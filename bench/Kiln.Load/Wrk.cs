using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Kiln.Load;

/// <summary>One wrk run, parsed: requests per second and latency percentiles.</summary>
public sealed record WrkResult(string Name, double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Errors);

public static partial class Wrk
{
    /// <summary>Runs wrk for a bounded time against loopback only.</summary>
    public static async Task<WrkResult> RunAsync(string name, string url, int connections, TimeSpan duration, string? luaScript = null)
    {
        if (!url.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)) throw new ArgumentException("Load tests target loopback only.", nameof(url));
        var args = new List<string> { "-t2", $"-c{connections}", $"-d{(int)duration.TotalSeconds}s", "--latency" };
        if (luaScript is not null) { args.Add("-s"); args.Add(luaScript); }
        args.Add(url);
        var psi = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("wrk not found; install it with apt-get install wrk");
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException("wrk failed: " + output + await p.StandardError.ReadToEndAsync());
        return new WrkResult(name,
            double.Parse(RpsRegex().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            Latency(output, "50%"), Latency(output, "99%"),
            long.Parse(RequestsRegex().Match(output).Groups[1].Value, CultureInfo.InvariantCulture),
            Errors(output));
    }

    private static double Latency(string output, string pct)
    {
        var m = Regex.Match(output, $@"\s{Regex.Escape(pct)}\s+([\d.]+)(us|ms|s)");
        var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "us" => v / 1000, "s" => v * 1000, _ => v };
    }

    private static long Errors(string output)
    {
        var non2xx = Non2xxRegex().Match(output);
        var socket = SocketErrorsRegex().Match(output);
        long n = non2xx.Success ? long.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        if (socket.Success) n += socket.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture));
        return n;
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")] private static partial Regex RpsRegex();
    [GeneratedRegex(@"(\d+) requests in")] private static partial Regex RequestsRegex();
    [GeneratedRegex(@"Non-2xx or 3xx responses: (\d+)")] private static partial Regex Non2xxRegex();
    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")] private static partial Regex SocketErrorsRegex();
}
