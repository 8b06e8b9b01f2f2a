using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Load;
using Kiln.Server.Hosting;
using Kiln.Server.Ims;

int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
// crash <kiln.dll> <sqlite|postgres-admin-connection> [rounds=20] [max-seconds=1200] [port=58090] [seed]
if (args.Length > 0 && args[0] == "crash")
    return await CrashLoop.RunAsync(args[1], args[2] == "sqlite" ? null : args[2], Arg(3, 20), Arg(4, 1200), Arg(5, 58090), Arg(6, Environment.TickCount & 0xFFFF));
// soak <kiln.dll> [seconds=600] [max-ops=10000000] [port=58091]
if (args.Length > 0 && args[0] == "soak")
    return await Soak.RunAsync(args[1], Arg(2, 600), Arg(3, 10_000_000), Arg(4, 58091));
// upstream <kiln.dll> [requests=40]: the latency Kiln A adds forwarding to Kiln B (docs/upstream.md#what-is-forwarded)
if (args.Length > 0 && args[0] == "upstream")
    return await UpstreamBench.RunAsync(args[1], Arg(2, 40));
if (args.Length > 0 && args[0] == "scale")
    return await ScaleBench.RunAsync(args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10);

// Identity-service load benchmark (issue 2): token throughput vs /health/live, and the gate's overhead,
// measured over HTTP with wrk against one in-process Kiln (Release), all in the same run.
var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
var connections = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32;
var dataDir = Directory.CreateTempSubdirectory("kiln-load-").FullName;
var port = 5600 + Random.Shared.Next(300);
var baseUrl = $"http://127.0.0.1:{port}";

var app = KilnApp.Build(["--urls", baseUrl, $"--Kiln:DataDir={dataDir}", "--Logging:LogLevel:Default=Warning",
    "--Kiln:Ims:BruteForce:MaxFailuresPerAddress=1000000"]);
// Two identical cheap endpoints, one behind the gate: the difference is the gate's cost.
app.MapGet("/bench/open", () => TypedResults.Ok(new { ok = true }));
app.MapGet("/bench/gated", () => TypedResults.Ok(new { ok = true })).RequireIms("firefly_api");
await app.StartAsync();
try
{
    var demo = (await Bootstrap.ReadFileAsync(dataDir, default))!;
    using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
    var tokenRes = await http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
    {
        ["grant_type"] = "client_credentials", ["client_id"] = demo.ClientId, ["client_secret"] = demo.ClientSecret, ["scope"] = "firefly_api,ff_apis",
    }));
    var token = JsonDocument.Parse(await tokenRes.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;

    var tokenLua = Path.Combine(dataDir, "token.lua");
    await File.WriteAllTextAsync(tokenLua, $"""
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
        wrk.body = "grant_type=client_credentials&client_id={demo.ClientId}&client_secret={demo.ClientSecret}&scope=firefly_api,ff_apis"
        """);
    var gatedLua = Path.Combine(dataDir, "gated.lua");
    await File.WriteAllTextAsync(gatedLua, $"""
        wrk.headers["Authorization"] = "Bearer {token}"
        wrk.headers["x-api-key"] = "{demo.ClientId}"
        """);

    var d = TimeSpan.FromSeconds(seconds);
    await Wrk.RunAsync("warm-up", baseUrl + "/health/live", connections, TimeSpan.FromSeconds(3));
    await Wrk.RunAsync("warm-up", baseUrl + "/ims/token/v3", connections, TimeSpan.FromSeconds(3), tokenLua);
    var results = new List<WrkResult>
    {
        await Wrk.RunAsync("GET /health/live", baseUrl + "/health/live", connections, d),
        await Wrk.RunAsync("POST /ims/token/v3", baseUrl + "/ims/token/v3", connections, d, tokenLua),
        await Wrk.RunAsync("GET /bench/open", baseUrl + "/bench/open", connections, d),
        await Wrk.RunAsync("GET /bench/gated", baseUrl + "/bench/gated", connections, d, gatedLua),
    };
    var health = results[0].RequestsPerSecond;
    var report = new StringBuilder();
    report.AppendLine(CultureInfo.InvariantCulture, $"wrk -t2 -c{connections} -d{seconds}s, Kiln Release in-process, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
    report.AppendLine();
    report.AppendLine("| Endpoint | req/s | p50 ms | p99 ms | errors |");
    report.AppendLine("|---|---|---|---|---|");
    foreach (var r in results)
        report.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.RequestsPerSecond:F0} | {r.P50Ms:F2} | {r.P99Ms:F2} | {r.Errors} |");
    report.AppendLine();
    var tokenRatio = results[1].RequestsPerSecond / health;
    var gateCost = results[2].RequestsPerSecond / results[3].RequestsPerSecond - 1;
    report.AppendLine(CultureInfo.InvariantCulture, $"- Token throughput / health throughput: **{tokenRatio:P0}** (goal >= 40%)");
    report.AppendLine(CultureInfo.InvariantCulture, $"- Gate overhead (time per authenticated request vs the same unauthenticated one): **{gateCost:P1}** (goal <= 15%)");
    Console.WriteLine(report);
    return tokenRatio >= 0.40 && gateCost <= 0.15 ? 0 : 3;
}
finally
{
    await app.StopAsync();
    Directory.Delete(dataDir, true);
}
