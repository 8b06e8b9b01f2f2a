using System.Text.Json;
using Kiln.Server.Ims;
using static Kiln.Load.Stats;

namespace Kiln.Load;

/// <summary>
/// Identity-service load (issues 2 and 17): token throughput against <c>/health/live</c>, and the gate's overhead, over
/// HTTP with wrk against one in-process Release Kiln. Both endpoints are warmed first (health takes about 20 s of load
/// to reach its JIT tier), then measured alternately; each figure is the median of the paired ratios of one run.
/// </summary>
public static class IdentityBench
{
    public const double TokenBudget = 0.34;
    public const double GateBudget = 0.15;

    public static async Task<int> RunAsync(int seconds, int rounds, int warmSeconds)
    {
        await using var kiln = await InProcess.StartAsync(null, app =>
        {
            // Two identical cheap endpoints, one behind the gate: the difference is the gate's cost.
            app.MapGet("/bench/open", () => TypedResults.Ok(new { ok = true }));
            app.MapGet("/bench/gated", () => TypedResults.Ok(new { ok = true })).RequireIms("firefly_api");
        });
        var (url, demo) = (kiln.Url, kiln.Demo);
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var tokenRes = await http.PostAsync("/ims/token/v3", new StringContent(InProcess.TokenBody(demo.ClientId, demo.ClientSecret),
            System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        var token = JsonDocument.Parse(await tokenRes.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
        var tokenLua = await InProcess.TokenLuaAsync(kiln.DataDir, "token", [InProcess.TokenBody(demo.ClientId, demo.ClientSecret)]);
        var gatedLua = Path.Combine(kiln.DataDir, "gated.lua");
        await File.WriteAllTextAsync(gatedLua, $"""
            wrk.headers["Authorization"] = "Bearer {token}"
            wrk.headers["x-api-key"] = "{demo.ClientId}"
            """);

        // Warm-up: every endpoint in turn until warmSeconds have passed, so JIT tiering has settled for all of them.
        var slice = TimeSpan.FromSeconds(Math.Max(1, warmSeconds / 8));
        for (var t = TimeSpan.Zero; t < TimeSpan.FromSeconds(warmSeconds); t += 4 * slice)
        {
            await Wrk.RunAsync("warm", url + "/health/live", 32, slice);
            await Wrk.RunAsync("warm", url + "/ims/token/v3", 32, slice, tokenLua);
            await Wrk.RunAsync("warm", url + "/bench/open", 32, slice);
            await Wrk.RunAsync("warm", url + "/bench/gated", 32, slice, gatedLua);
        }

        var d = TimeSpan.FromSeconds(seconds);
        var pairs = new Dictionary<string, List<(WrkResult A, WrkResult B)>>();
        foreach (var c in new[] { 32, 256 })
            for (var r = 0; r < rounds; r++)
            {
                // Alternate which goes first, so a drift in the machine's load does not favour one side.
                WrkResult h, k;
                if (r % 2 == 0) { h = await Wrk.RunAsync("health", url + "/health/live", c, d); k = await Wrk.RunAsync("token", url + "/ims/token/v3", c, d, tokenLua); }
                else { k = await Wrk.RunAsync("token", url + "/ims/token/v3", c, d, tokenLua); h = await Wrk.RunAsync("health", url + "/health/live", c, d); }
                Add(pairs, $"token/health c{c}", (k, h));
            }
        for (var r = 0; r < rounds; r++)
        {
            var o = await Wrk.RunAsync("open", url + "/bench/open", 32, d);
            var g = await Wrk.RunAsync("gated", url + "/bench/gated", 32, d, gatedLua);
            Add(pairs, "gated/open c32", (g, o));
        }

        Console.WriteLine(F($"wrk -t2, {seconds} s runs, {rounds} pairs per figure after {warmSeconds} s of warm-up; Kiln Release in-process; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {Environment.ProcessorCount} cores"));
        Console.WriteLine();
        Console.WriteLine("| Pair (subject / baseline) | subject req/s (median) | baseline req/s (median) | median of paired ratios | subject p50 / p99 ms | baseline p50 / p99 ms | errors |");
        Console.WriteLine("|---|---:|---:|---:|---|---|---:|");
        foreach (var (name, list) in pairs)
            Console.WriteLine(F($"| {name} | {Median(list.Select(p => p.A.RequestsPerSecond)):F0} | {Median(list.Select(p => p.B.RequestsPerSecond)):F0} | **{Median(list.Select(p => p.A.RequestsPerSecond / p.B.RequestsPerSecond)):F3}** | {Median(list.Select(p => p.A.P50Ms)):F2} / {Median(list.Select(p => p.A.P99Ms)):F2} | {Median(list.Select(p => p.B.P50Ms)):F2} / {Median(list.Select(p => p.B.P99Ms)):F2} | {list.Sum(p => p.A.Errors + p.B.Errors)} |"));
        var tokenRatio = Median(pairs["token/health c32"].Select(p => p.A.RequestsPerSecond / p.B.RequestsPerSecond));
        var gateCost = Median(pairs["gated/open c32"].Select(p => p.B.RequestsPerSecond / p.A.RequestsPerSecond)) - 1;
        Console.WriteLine();
        Console.WriteLine(F($"- token / health at 32 connections, warm: **{tokenRatio:F3}** (budget >= {TokenBudget})"));
        Console.WriteLine(F($"- gate overhead (time per gated request vs the same open one): **{gateCost:P1}** (budget <= {GateBudget:P0})"));
        return tokenRatio >= TokenBudget && gateCost <= GateBudget ? 0 : 3;
    }

    private static void Add(Dictionary<string, List<(WrkResult, WrkResult)>> pairs, string name, (WrkResult, WrkResult) pair)
    {
        if (!pairs.TryGetValue(name, out var list)) pairs[name] = list = [];
        list.Add(pair);
    }
}
