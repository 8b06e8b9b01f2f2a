using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Kiln.Load;

/// <summary>
/// Soak (issue 7): a mixed load on one `kiln serve` (SQLite, loopback) for a bounded time and count: token mints, sync
/// and async generates (small sizes), status polls and secret rotations (add, switch, delete the old one). Reports
/// throughput, p50/p99 per operation, errors by status, and RSS sampled from /proc over time, comparing the mean of the
/// second tenth of the run (after warm-up; minute 2 of a 10-minute run) with the mean of the last tenth.
/// Exit code 0 only with no error other than 429 and RSS growth under 10%.
/// </summary>
public static class Soak
{
    private sealed record Sample(string Op, double Ms, int Status);

    private sealed class Current
    {
        public volatile string Secret = "";
        public volatile string Token = "";
    }

    public static async Task<int> RunAsync(string kilnDll, int seconds, long maxOps, int port)
    {
        var root = Directory.CreateTempSubdirectory("kiln-soak-").FullName;
        var dataDir = Path.Combine(root, "data");
        using var node = await KilnNode.StartAsync(kilnDll, dataDir, port, null, new Dictionary<string, string> { ["Kiln__Ims__MaxSecretsPerCredential"] = "5" });
        var demo = KilnNode.Demo(dataDir);
        var (clientId, demoSecret) = (demo.GetProperty("client_id").GetString()!, demo.GetProperty("client_secret").GetString()!);
        var secretsPath = $"/console/organizations/{demo.GetProperty("org_id").GetString()}/credentials/{demo.GetProperty("credential_id").GetString()}/secrets";
        using var admin = new KilnApi(node.Url, clientId);
        admin.Token = (await admin.TokenAsync(demoSecret)).Body.GetProperty("access_token").GetString();
        var current = new Current();
        var (added, first) = await admin.SendAsync(HttpMethod.Post, secretsPath);
        if (added != 201) throw new InvalidOperationException("could not add the first rotating secret: " + added);
        current.Secret = first.GetProperty("client_secret").GetString()!;
        current.Token = (await admin.TokenAsync(current.Secret)).Body.GetProperty("access_token").GetString()!;
        var currentUuid = first.GetProperty("uuid").GetString()!;

        var samples = new ConcurrentQueue<Sample>();
        var exceptions = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var rss = new ConcurrentQueue<(double T, double MiB)>();
        long ops = 0;
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        bool Go() => !stop.IsCancellationRequested && Interlocked.Read(ref ops) < maxOps;

        async Task Timed(string op, Func<Task<int>> call)
        {
            Interlocked.Increment(ref ops);
            var sw = Stopwatch.StartNew();
            try
            {
                var status = await call();
                samples.Enqueue(new Sample(op, sw.Elapsed.TotalMilliseconds, status));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException or IOException) { exceptions.AddOrUpdate(op + ": " + e.GetType().Name, 1, (_, n) => n + 1); }
        }

        async Task Tokens()
        {
            using var api = new KilnApi(node.Url, clientId);
            while (Go())
            {
                await Timed("token mint", async () => (await api.TokenAsync(current.Secret)).Status);
                await Task.Delay(10);
            }
        }

        async Task SyncGenerates()
        {
            using var api = new KilnApi(node.Url, clientId);
            var seed = 0;
            while (Go())
            {
                api.Token = current.Token;
                await Timed("generate (sync)", async () => (await api.SendAsync(HttpMethod.Post, "/v3/images/generate", KilnApi.Generate(seed++))).Status);
                await Task.Delay(200);
            }
        }

        async Task AsyncGenerates()
        {
            using var api = new KilnApi(node.Url, clientId);
            var seed = 1_000_000;
            while (Go())
            {
                api.Token = current.Token;
                string? path = null;
                await Timed("generate (async submit)", async () =>
                {
                    var (s, body) = await api.SendAsync(HttpMethod.Post, "/v3/images/generate-async", KilnApi.Generate(seed++));
                    if (s == 202) path = new Uri(body.GetProperty("statusUrl").GetString()!).PathAndQuery;
                    return s;
                });
                while (path is not null && Go())
                {
                    await Task.Delay(200);
                    api.Token = current.Token;
                    string? status = null;
                    await Timed("status poll", async () =>
                    {
                        var (s, body) = await api.SendAsync(HttpMethod.Get, path);
                        if (s == 200) status = body.GetProperty("status").GetString();
                        return s;
                    });
                    if (status is "succeeded" or "failed" or "canceled")
                    {
                        if (status != "succeeded") exceptions.AddOrUpdate("job " + status, 1, (_, n) => n + 1);
                        break;
                    }
                }
            }
        }

        async Task Rotations()
        {
            while (Go())
            {
                try { await Task.Delay(TimeSpan.FromSeconds(5), stop.Token); } catch (OperationCanceledException) { return; }
                // Add a new secret, switch every client to it, give in-flight requests a moment, then delete the old one.
                string? newSecret = null, newUuid = null;
                await Timed("secret add", async () =>
                {
                    var (s, body) = await admin.SendAsync(HttpMethod.Post, secretsPath);
                    if (s == 201) (newSecret, newUuid) = (body.GetProperty("client_secret").GetString(), body.GetProperty("uuid").GetString());
                    return s;
                });
                if (newSecret is null) continue;
                var (ts, tb) = await admin.TokenAsync(newSecret);
                if (ts != 200) { exceptions.AddOrUpdate("token from a new secret " + ts, 1, (_, n) => n + 1); continue; }
                (current.Secret, current.Token) = (newSecret, tb.GetProperty("access_token").GetString()!);
                await Task.Delay(2000);
                var old = currentUuid;
                currentUuid = newUuid!;
                await Timed("secret delete", async () => (await admin.SendAsync(HttpMethod.Delete, secretsPath + "/" + old)).Status);
            }
        }

        var sampleEvery = TimeSpan.FromSeconds(Math.Clamp(seconds / 60.0, 0.25, 2)); // every 2 s; more often in short runs
        async Task Memory()
        {
            while (!stop.IsCancellationRequested)
            {
                if (node.RssMiB() is { } mib) rss.Enqueue((clock.Elapsed.TotalSeconds, mib));
                try { await Task.Delay(sampleEvery, stop.Token); } catch (OperationCanceledException) { return; }
            }
        }

        await Task.WhenAll(Tokens(), Tokens(), SyncGenerates(), AsyncGenerates(), Rotations(), Memory());
        var elapsed = clock.Elapsed.TotalSeconds;
        var alive = !node.HasExited;
        node.Dispose();
        try { Directory.Delete(root, true); } catch (IOException) { }
        return Report(samples.ToList(), exceptions, rss.ToList(), elapsed, alive);
    }

    private static int Report(List<Sample> samples, ConcurrentDictionary<string, int> exceptions, List<(double T, double MiB)> rss, double elapsed, bool alive)
    {
        Console.WriteLine(F($"Soak: {elapsed:F0} s, one `kiln serve` (SQLite, local disk), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC"));
        Console.WriteLine();
        Console.WriteLine("| Operation | count | per s | p50 ms | p99 ms | max ms | statuses |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var g in samples.GroupBy(s => s.Op).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var ms = g.Select(s => s.Ms).Order().ToList();
            var statuses = string.Join(", ", g.GroupBy(s => s.Status).OrderBy(s => s.Key).Select(s => F($"{s.Key}: {s.Count()}")));
            Console.WriteLine(F($"| {g.Key} | {ms.Count} | {ms.Count / elapsed:F1} | {P(ms, 50):F1} | {P(ms, 99):F1} | {ms[^1]:F0} | {statuses} |"));
        }
        var errors = samples.Count(s => s.Status >= 400 && s.Status != 429) + exceptions.Values.Sum();
        var throttled = samples.Count(s => s.Status == 429);
        Console.WriteLine();
        Console.WriteLine(F($"- requests: {samples.Count} ({samples.Count / elapsed:F1}/s); errors other than 429: **{errors}**; 429s: {throttled}"));
        foreach (var (k, v) in exceptions) Console.WriteLine(F($"  - {k}: {v}"));
        var tenth = elapsed / 10;
        double Mean(double from, double to) => rss.Where(r => r.T >= from && r.T < to).Select(r => r.MiB).DefaultIfEmpty(double.NaN).Average();
        var warm = Mean(tenth, 2 * tenth);
        var last = Mean(elapsed - tenth, elapsed + 1);
        var growth = last / warm - 1;
        Console.WriteLine(F($"- RSS (VmRSS, n={rss.Count} samples): min {rss.Min(r => r.MiB):F0} MiB, max {rss.Max(r => r.MiB):F0} MiB; mean of the 2nd tenth ({tenth:F0}-{2 * tenth:F0} s) {warm:F0} MiB, of the last tenth {last:F0} MiB: growth **{growth:P1}** (limit 10%)"));
        Console.WriteLine("- RSS over time (MiB, one value per tenth of the run): " + string.Join(" ", Enumerable.Range(0, 10).Select(i => F($"{Mean(i * tenth, (i + 1) * tenth + (i == 9 ? 1 : 0)):F0}"))));
        Console.WriteLine(F($"- kiln still running at the end: {alive}"));
        return errors == 0 && growth < 0.10 && alive ? 0 : 1;
    }

    private static double P(List<double> sorted, int pct) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(pct / 100.0 * sorted.Count) - 1)];

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
