using System.Diagnostics;
using System.Text;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;
using static Kiln.Load.Stats;

namespace Kiln.Load;

/// <summary>
/// Many credentials (issue 17): N credentials, seeded through the DbContext with secrets made and hashed by
/// <see cref="ClientSecrets"/>, each minting in turn, against the one demo credential in the same run. The credential
/// cache misses, the database is read, and entries age out (<see cref="CredentialCache.MaxAge"/>) while wrk runs.
/// </summary>
public static class ManyCredentials
{
    public const double Budget = 0.8;

    public static async Task<int> RunAsync(string? postgresAdmin, int count, int seconds, int rounds)
    {
        await using var kiln = await InProcess.StartAsync(postgresAdmin);
        var idle = InProcess.Memory();
        var seed = Stopwatch.StartNew();
        var bodies = await SeedAsync(kiln, count);
        seed.Stop();
        var seeded = InProcess.Memory();
        var one = InProcess.TokenBody(kiln.Demo.ClientId, kiln.Demo.ClientSecret);

        // Cold first pass: every credential once, 32 at a time (each is a cache miss and a database read), then the same
        // again warm, then the one credential as often; one HTTP client drives all three.
        var cold = await PassAsync(kiln.Url, bodies);
        var warmPass = await PassAsync(kiln.Url, bodies);
        var onePass = await PassAsync(kiln.Url, Enumerable.Repeat(one, bodies.Count).ToList());
        var afterPasses = InProcess.Memory();

        var manyLua = await InProcess.TokenLuaAsync(kiln.DataDir, "many", bodies);
        var oneLua = await InProcess.TokenLuaAsync(kiln.DataDir, "one", [one]);
        var url = kiln.Url + "/ims/token/v3";
        await Wrk.RunAsync("warm", url, 32, TimeSpan.FromSeconds(seconds), oneLua);
        var pairs = new List<(WrkResult Many, WrkResult One)>();
        for (var r = 0; r < rounds; r++)
        {
            WrkResult m, o;
            if (r % 2 == 0) { o = await Wrk.RunAsync("one", url, 32, TimeSpan.FromSeconds(seconds), oneLua); m = await Wrk.RunAsync("many", url, 32, TimeSpan.FromSeconds(seconds), manyLua); }
            else { m = await Wrk.RunAsync("many", url, 32, TimeSpan.FromSeconds(seconds), manyLua); o = await Wrk.RunAsync("one", url, 32, TimeSpan.FromSeconds(seconds), oneLua); }
            pairs.Add((m, o));
        }
        var end = InProcess.Memory();
        GC.Collect();
        var afterGc = InProcess.Memory();

        var ratio = Median(pairs.Select(p => p.Many.RequestsPerSecond / p.One.RequestsPerSecond));
        Console.WriteLine(F($"Many credentials: {count} on {kiln.Provider}, Kiln Release in-process, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores; wrk -t2 -c32, {seconds} s runs, {rounds} pairs"));
        Console.WriteLine();
        Console.WriteLine("| Figure | Value |");
        Console.WriteLine("|---|---|");
        Console.WriteLine(F($"| seeding {count} credentials (DbContext, secrets hashed by ClientSecrets) | {seed.Elapsed.TotalSeconds:F1} s |"));
        Console.WriteLine(F($"| cold first pass, each credential once (HttpClient, 32 in flight) | {cold.Rate:F0} tok/s, p50 {cold.P50:F1} / p99 {cold.P99:F1} ms, errors {cold.Errors} |"));
        Console.WriteLine(F($"| second pass, same credentials, cached | {warmPass.Rate:F0} tok/s, p50 {warmPass.P50:F1} / p99 {warmPass.P99:F1} ms, errors {warmPass.Errors} |"));
        Console.WriteLine(F($"| one credential, same number of requests | {onePass.Rate:F0} tok/s, p50 {onePass.P50:F1} / p99 {onePass.P99:F1} ms, errors {onePass.Errors} |"));
        Console.WriteLine(F($"| cold / one credential (same driver) | **{cold.Rate / onePass.Rate:F2}** |"));
        Console.WriteLine(F($"| wrk, {count} credentials in turn (median) | {Median(pairs.Select(p => p.Many.RequestsPerSecond)):F0} tok/s, p50 {Median(pairs.Select(p => p.Many.P50Ms)):F2} / p99 {Median(pairs.Select(p => p.Many.P99Ms)):F2} ms, errors {pairs.Sum(p => p.Many.Errors)} |"));
        Console.WriteLine(F($"| wrk, one credential (median) | {Median(pairs.Select(p => p.One.RequestsPerSecond)):F0} tok/s, p50 {Median(pairs.Select(p => p.One.P50Ms)):F2} / p99 {Median(pairs.Select(p => p.One.P99Ms)):F2} ms, errors {pairs.Sum(p => p.One.Errors)} |"));
        Console.WriteLine(F($"| **many / one, warm, median of paired ratios** | **{ratio:F3}** (budget >= {Budget}) |"));
        Console.WriteLine(F($"| RSS idle / after seeding / after the passes / at the end / after a full GC | {idle.Rss:F0} / {seeded.Rss:F0} / {afterPasses.Rss:F0} / {end.Rss:F0} / {afterGc.Rss:F0} MiB |"));
        Console.WriteLine(F($"| peak RSS (VmHWM, includes the seeding and the 1.5 MB wrk script building) | {afterGc.Peak:F0} MiB |"));
        return ratio >= Budget ? 0 : 3;
    }

    private static async Task<List<string>> SeedAsync(InProcess kiln, int count)
    {
        var bodies = new List<string>(count);
        await using var scope = kiln.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var secrets = scope.ServiceProvider.GetRequiredService<ClientSecrets>();
        var demo = await db.Credentials.AsNoTracking().SingleAsync(c => c.ClientId == kiln.Demo.ClientId);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < count; i++)
        {
            var cred = NewEntities.NewCredential(demo.OrgId, demo.ProjectId, demo.WorkspaceId, $"load {i}", now);
            cred.Services.Add(new CredentialService { SdkCode = Services.Firefly, SubscribedAt = now });
            var secret = secrets.AddFirst(db, cred, actor: null);
            db.Credentials.Add(cred);
            bodies.Add(InProcess.TokenBody(cred.ClientId, secret));
            if ((i + 1) % 1000 == 0 || i == count - 1)
            {
                await db.SaveChangesAsync();
                db.ChangeTracker.Clear();
            }
        }
        return bodies;
    }

    private sealed record Pass(double Rate, double P50, double P99, int Errors);

    private static async Task<Pass> PassAsync(string url, List<string> bodies)
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        var next = -1;
        var errors = 0;
        var latencies = new double[bodies.Count];
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < bodies.Count)
            {
                var t = Stopwatch.GetTimestamp();
                using var res = await http.PostAsync("/ims/token/v3", new StringContent(bodies[i], Encoding.UTF8, "application/x-www-form-urlencoded"));
                await res.Content.ReadAsByteArrayAsync();
                latencies[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                if (!res.IsSuccessStatusCode) Interlocked.Increment(ref errors);
            }
        }));
        var rate = bodies.Count / sw.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return new Pass(rate, latencies[latencies.Length / 2], latencies[Math.Min(latencies.Length - 1, (int)(latencies.Length * 0.99))], errors);
    }
}
