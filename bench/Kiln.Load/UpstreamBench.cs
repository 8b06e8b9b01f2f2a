using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Load;

/// <summary>
/// The latency Kiln A adds when it forwards a sync 1024² generate to Kiln B (docs/upstream.md#what-is-forwarded), all in
/// one run: B directly, A with outputs passed through (what A adds: gate, validation, engine choice, token, forwarding),
/// and A copying the outputs into its store (the copy, reported separately). Requests run one at a time.
/// </summary>
public static class UpstreamBench
{
    private const string Body = """{"prompt":"a bowl of fruit on a wooden table, studio photo","seeds":[SEED],"size":{"width":1024,"height":1024}}""";

    public static async Task<int> RunAsync(string kilnDll, int requests)
    {
        var root = Directory.CreateTempSubdirectory("kiln-upstream-bench-").FullName;
        var (bPort, aPort) = (58300 + Random.Shared.Next(200), 58600 + Random.Shared.Next(200));
        using var b = await KilnNode.StartAsync(kilnDll, Path.Combine(root, "b"), bPort, null, new Dictionary<string, string>());
        using var a = await KilnNode.StartAsync(kilnDll, Path.Combine(root, "a"), aPort, null, new Dictionary<string, string>());
        var bDemo = Demo(Path.Combine(root, "b"));
        var aDemo = Demo(Path.Combine(root, "a"));
        await ConfigureAsync(Path.Combine(root, "a"), aDemo, bDemo, b.Url);

        using var direct = await ClientAsync(b.Url, bDemo);
        using var gateway = await ClientAsync(a.Url, aDemo);
        var orgId = long.Parse(aDemo.OrgId, CultureInfo.InvariantCulture);

        await UseAsync(Path.Combine(root, "a"), orgId, "upstream:bp");
        for (var i = 0; i < 5; i++) { await TimeAsync(direct, i); await TimeAsync(gateway, i); } // warm-up (JIT, connections, tokens)
        var directMs = new List<double>();
        var passMs = new List<double>();
        for (var i = 0; i < requests; i++)
        {
            directMs.Add(await TimeAsync(direct, 100 + i));
            passMs.Add(await TimeAsync(gateway, 100 + i));
        }
        await UseAsync(Path.Combine(root, "a"), orgId, "upstream:b");
        for (var i = 0; i < 3; i++) await TimeAsync(gateway, i);
        var copyMs = new List<double>();
        for (var i = 0; i < requests; i++) copyMs.Add(await TimeAsync(gateway, 100 + i));

        double P(List<double> xs, double q) { var s = xs.Order().ToList(); return s[Math.Min(s.Count - 1, (int)Math.Ceiling(q * s.Count) - 1)]; }
        var added50 = P(passMs, 0.5) - P(directMs, 0.5);
        var added99 = P(passMs, 0.99) - P(directMs, 0.99);
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"sync 1024x1024 generate, {requests} requests each, one at a time"));
        Console.WriteLine(string.Create(inv, $"B directly:                 p50 {P(directMs, 0.5),8:0.0} ms  p99 {P(directMs, 0.99),8:0.0} ms"));
        Console.WriteLine(string.Create(inv, $"A -> B, outputs passed:     p50 {P(passMs, 0.5),8:0.0} ms  p99 {P(passMs, 0.99),8:0.0} ms"));
        Console.WriteLine(string.Create(inv, $"A -> B, outputs copied:     p50 {P(copyMs, 0.5),8:0.0} ms  p99 {P(copyMs, 0.99),8:0.0} ms"));
        Console.WriteLine(string.Create(inv, $"added by A (no copy):       p50 {added50,8:0.0} ms  p99 {added99,8:0.0} ms  ({added50 / P(directMs, 0.5) * 100:0.0}% of B's p50; budget 10%)"));
        Console.WriteLine(string.Create(inv, $"output copy into A's store: p50 {P(copyMs, 0.5) - P(passMs, 0.5),8:0.0} ms  p99 {P(copyMs, 0.99) - P(passMs, 0.99),8:0.0} ms"));
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        return added50 <= 0.10 * P(directMs, 0.5) ? 0 : 1;
    }

    private static async Task<double> TimeAsync(HttpClient http, int seed)
    {
        var sw = Stopwatch.StartNew();
        using var res = await http.PostAsync("/v3/images/generate", new StringContent(Body.Replace("SEED", seed.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), Encoding.UTF8, "application/json"));
        await res.Content.ReadAsByteArrayAsync();
        sw.Stop();
        if (!res.IsSuccessStatusCode) throw new InvalidOperationException($"generate answered {(int)res.StatusCode}: {await res.Content.ReadAsStringAsync()}");
        return sw.Elapsed.TotalMilliseconds;
    }

    private static DemoCredential Demo(string dir) => JsonSerializer.Deserialize<DemoCredential>(File.ReadAllText(Path.Combine(dir, Bootstrap.FileName)))!;

    private static async Task<HttpClient> ClientAsync(string url, DemoCredential demo)
    {
        var http = new HttpClient { BaseAddress = new Uri(url) };
        using var res = await http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
            { ["grant_type"] = "client_credentials", ["client_id"] = demo.ClientId, ["client_secret"] = demo.ClientSecret, ["scope"] = "firefly_api,ff_apis" }));
        var token = JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.Add("x-api-key", demo.ClientId);
        return http;
    }

    private static SqliteKilnDb Db(string dir) =>
        new(new DbContextOptionsBuilder<SqliteKilnDb>().UseSqlite($"Data Source={Path.Combine(dir, "kiln.db")};Foreign Keys=True;Default Timeout=30").Options);

    /// <summary>Two profiles of B in A's demo org, straight in A's database (as `kiln upstream add` would): "b" copies outputs, "bp" passes them through.</summary>
    private static async Task ConfigureAsync(string aDir, DemoCredential aDemo, DemoCredential bDemo, string bUrl)
    {
        var kek = KeyEncryption.FromKeys(Convert.FromBase64String(File.ReadAllLines(Path.Combine(aDir, KeyEncryption.DefaultFileName)).First(l => l.Length > 0 && !l.StartsWith('#'))));
        await using var db = Db(aDir);
        foreach (var (name, pass) in new[] { ("b", false), ("bp", true) })
        {
            var id = Guid.NewGuid().ToString("N");
            db.UpstreamProfiles.Add(new UpstreamProfile
            {
                Id = id, OrgId = long.Parse(aDemo.OrgId, CultureInfo.InvariantCulture), Name = name, ImsBaseUrl = bUrl, FireflyBaseUrl = bUrl, ConsoleBaseUrl = bUrl,
                ClientId = bDemo.ClientId, Scopes = "firefly_api,ff_apis", PassThroughOutputs = pass, SecretVersion = 1,
                SecretWrapped = kek.WrapText(Encoding.UTF8.GetBytes(bDemo.ClientSecret), KeysAtRest.UpstreamSecretPurpose(id)),
                CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
            });
        }
        await db.SaveChangesAsync();
    }

    private static async Task UseAsync(string aDir, long orgId, string engine)
    {
        await using var db = Db(aDir);
        await db.Orgs.Where(o => o.Id == orgId).ExecuteUpdateAsync(u => u.SetProperty(o => o.Engine, engine));
    }
}
