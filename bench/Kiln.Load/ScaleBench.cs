using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Kiln.Load;

/// <summary>
/// Scale-out benchmark (issue 6): token throughput of two `kiln serve` nodes on one PostgreSQL database against one
/// node on SQLite, revocation propagation from node A to node B, and job pick-up latency, all in the same run.
/// </summary>
public static class ScaleBench
{
    /// <summary>One key-encryption key for every node this run starts.</summary>
    private static readonly string BenchKek = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private const string IoScopes = "AdobeID,openid,read_organizations,adobeio_api,read_client_secret,manage_client_secrets,firefly_api";

    public static async Task<int> RunAsync(string kilnDll, string postgresAdmin, int seconds)
    {
        var root = Directory.CreateTempSubdirectory("kiln-scale-").FullName;
        var procs = new List<Process>();
        try
        {
            var sqlite = await StartAsync(kilnDll, Path.Combine(root, "sqlite"), 5701, null, procs);
            var db = KilnNode.CreateDatabase(postgresAdmin, "kiln_bench_");
            var a = await StartAsync(kilnDll, Path.Combine(root, "a"), 5702, db, procs);
            var b = await StartAsync(kilnDll, Path.Combine(root, "b"), 5703, db, procs);
            var demoSqlite = KilnNode.Demo(Path.Combine(root, "sqlite"));
            var demo = KilnNode.Demo(Path.Combine(root, "a"));
            var d = TimeSpan.FromSeconds(seconds);

            var one = await Wrk.RunAsync("1 node, SQLite", sqlite + "/ims/token/v3", 32, d, await TokenLua(root, "s", demoSqlite));
            var luaPg = await TokenLua(root, "p", demo);
            var both = await Task.WhenAll(Wrk.RunAsync("node A", a + "/ims/token/v3", 16, d, luaPg), Wrk.RunAsync("node B", b + "/ims/token/v3", 16, d, luaPg));
            var twoRps = both.Sum(r => r.RequestsPerSecond);

            var revocation = await RevocationAsync(a, b, demo, 30);
            var pickup = await PickupAsync(a, b, demo, 20);

            Console.WriteLine($"Scale-out benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, wrk {seconds}s per run, Release `kiln serve` processes");
            Console.WriteLine();
            Console.WriteLine("| Figure | Value |");
            Console.WriteLine("|---|---|");
            Console.WriteLine(F($"| token req/s, 1 node on SQLite (wrk -c32) | {one.RequestsPerSecond:F0} (errors {one.Errors}) |"));
            Console.WriteLine(F($"| token req/s, 2 nodes on PostgreSQL (wrk -c16 each, summed) | {twoRps:F0} (errors {both.Sum(r => r.Errors)}) |"));
            Console.WriteLine(F($"| ratio 2 nodes PostgreSQL / 1 node SQLite | {twoRps / one.RequestsPerSecond:F2} |"));
            Console.WriteLine(F($"| revocation A -> B, p50 / p99 / max (n={revocation.Count}) | {P(revocation, 50):F0} / {P(revocation, 99):F0} / {revocation.Max():F0} ms |"));
            Console.WriteLine(F($"| job pick-up (202 to running), p50 / p99 / max (n={pickup.Count}) | {P(pickup, 50):F0} / {P(pickup, 99):F0} / {pickup.Max():F0} ms |"));
            return 0;
        }
        finally
        {
            foreach (var p in procs) { try { p.Kill(true); p.WaitForExit(5000); } catch (InvalidOperationException) { } }
            Directory.Delete(root, true);
        }
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static double P(List<double> xs, int pct)
    {
        var s = xs.Order().ToList();
        return s[Math.Min(s.Count - 1, (int)Math.Ceiling(pct / 100.0 * s.Count) - 1)];
    }

    private static async Task<List<double>> RevocationAsync(string a, string b, JsonElement demo, int n)
    {
        using var http = new HttpClient();
        var clientId = demo.GetProperty("client_id").GetString()!;
        var admin = await TokenAsync(http, a, clientId, demo.GetProperty("client_secret").GetString()!, IoScopes);
        var secrets = $"/console/organizations/{demo.GetProperty("org_id").GetString()}/credentials/{demo.GetProperty("credential_id").GetString()}/secrets";
        var times = new List<double>();
        for (var i = 0; i < n; i++)
        {
            var added = JsonDocument.Parse(await Send(http, HttpMethod.Post, a + secrets, admin, clientId, 201)).RootElement;
            var victim = await TokenAsync(http, a, clientId, added.GetProperty("client_secret").GetString()!, IoScopes);
            await Send(http, HttpMethod.Get, b + secrets, victim, clientId, 200); // cached as valid on B
            await Send(http, HttpMethod.Delete, a + secrets + "/" + added.GetProperty("uuid").GetString(), admin, clientId, 204);
            var sw = Stopwatch.StartNew();
            while (await Status(http, HttpMethod.Get, b + secrets, victim, clientId) != 401 && sw.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(2);
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        return times;
    }

    private static async Task<List<double>> PickupAsync(string a, string b, JsonElement demo, int n)
    {
        using var http = new HttpClient();
        var clientId = demo.GetProperty("client_id").GetString()!;
        var token = await TokenAsync(http, a, clientId, demo.GetProperty("client_secret").GetString()!, "firefly_api");
        var times = new List<double>();
        for (var i = 0; i < n; i++)
        {
            using var req = new HttpRequestMessage(HttpMethod.Post, a + "/v3/images/generate-async")
            {
                Content = new StringContent("""{"prompt":"a lighthouse at night","size":{"width":1024,"height":1024}}""", Encoding.UTF8, "application/json"),
            };
            req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            req.Headers.Add("x-api-key", clientId);
            var res = await http.SendAsync(req);
            var sw = Stopwatch.StartNew();
            var path = new Uri(JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement.GetProperty("statusUrl").GetString()!).PathAndQuery;
            while (sw.Elapsed < TimeSpan.FromSeconds(30))
            {
                var status = JsonDocument.Parse(await Send(http, HttpMethod.Get, (i % 2 == 0 ? b : a) + path, token, clientId, 200)).RootElement.GetProperty("status").GetString();
                if (status != "pending") break;
                await Task.Delay(5);
            }
            times.Add(sw.Elapsed.TotalMilliseconds);
            while (JsonDocument.Parse(await Send(http, HttpMethod.Get, a + path, token, clientId, 200)).RootElement.GetProperty("status").GetString() is "pending" or "running")
                await Task.Delay(50); // one job at a time, so each measures an idle queue
        }
        return times;
    }

    private static async Task<string> Send(HttpClient http, HttpMethod method, string url, string token, string apiKey, int expect)
    {
        using var req = new HttpRequestMessage(method, url);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Headers.Add("x-api-key", apiKey);
        using var res = await http.SendAsync(req);
        var body = await res.Content.ReadAsStringAsync();
        if ((int)res.StatusCode != expect) throw new InvalidOperationException($"{method} {url}: {(int)res.StatusCode} {body}");
        return body;
    }

    private static async Task<int> Status(HttpClient http, HttpMethod method, string url, string token, string apiKey)
    {
        using var req = new HttpRequestMessage(method, url);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Headers.Add("x-api-key", apiKey);
        using var res = await http.SendAsync(req);
        return (int)res.StatusCode;
    }

    private static async Task<string> TokenAsync(HttpClient http, string node, string clientId, string secret, string scope)
    {
        var res = await http.PostAsync(node + "/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = scope,
        }));
        return JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task<string> TokenLua(string root, string name, JsonElement demo)
    {
        var path = Path.Combine(root, name + ".lua");
        await File.WriteAllTextAsync(path, $"""
            wrk.method = "POST"
            wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
            wrk.body = "grant_type=client_credentials&client_id={demo.GetProperty("client_id").GetString()}&client_secret={demo.GetProperty("client_secret").GetString()}&scope=firefly_api"
            """);
        return path;
    }

    private static async Task<string> StartAsync(string kilnDll, string dataDir, int port, string? database, List<Process> procs)
    {
        var url = $"http://127.0.0.1:{port}";
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { kilnDll, "serve", "--urls", url, "--data", dataDir }.Concat(database is null ? [] : ["--database", database]))
            psi.ArgumentList.Add(arg);
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Kiln__Ims__BruteForce__MaxFailuresPerAddress"] = "1000000";
        // Nodes on PostgreSQL need a key-encryption key, the same on every node (docs/security.md#keys-at-rest).
        if (database is not null && !psi.Environment.ContainsKey("KILN_KEY_ENCRYPTION_KEY")) psi.Environment["KILN_KEY_ENCRYPTION_KEY"] = BenchKek;
        var p = Process.Start(psi)!;
        procs.Add(p);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            try { if ((await http.GetAsync(url + "/health/ready")).IsSuccessStatusCode) return url; } catch (HttpRequestException) { }
            await Task.Delay(200);
        }
        throw new TimeoutException("kiln serve did not become ready on " + url);
    }
}
