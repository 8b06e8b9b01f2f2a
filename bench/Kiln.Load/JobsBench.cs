using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using static Kiln.Load.Stats;

namespace Kiln.Load;

/// <summary>
/// Async throughput (issue 17): images per second end to end for async jobs (submit, claim, render, store, status,
/// download) against the same images made by sync calls, on one in-process Kiln, alternately in one run.
/// Sync: 4 clients at once (two render, two wait in the pool). Async: every job submitted by 4 clients, then each job's
/// status polled in submission order every 10 ms until it is done, and its image downloaded.
/// </summary>
public static class JobsBench
{
    public const double Budget = 0.9;
    private static readonly HttpClient Plain = new(); // a pre-signed URL carries its own authority
    private static long _polls, _retries;

    public static async Task<int> RunAsync(string? postgresAdmin, int images, int size, int pollMs, int pairs)
    {
        await using var kiln = await InProcess.StartAsync(postgresAdmin);
        using var probe = new JobsProbe();
        using var http = new HttpClient { BaseAddress = new Uri(kiln.Url), Timeout = TimeSpan.FromMinutes(5) };
        var tokenRes = await http.PostAsync("/ims/token/v3", new StringContent(InProcess.TokenBody(kiln.Demo.ClientId, kiln.Demo.ClientSecret),
            Encoding.UTF8, "application/x-www-form-urlencoded"));
        var token = JsonDocument.Parse(await tokenRes.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.Add("x-api-key", kiln.Demo.ClientId);

        var (warmRounds, warmJit) = await WarmUpAsync(http, size, pollMs);
        var rounds = new List<(double Sync, double Async)>();
        var profile = new List<(string Mode, JobsProbe.Window W, double Polls, double Retries)>();
        for (var r = 0; r < pairs; r++)
        {
            var seed = 1000 + r * images;
            double s = 0, a = 0;
            foreach (var mode in r % 2 == 0 ? new[] { "sync", "async" } : ["async", "sync"])
            {
                probe.Reset();
                Interlocked.Exchange(ref _polls, 0);
                Interlocked.Exchange(ref _retries, 0);
                if (mode == "sync") s = await SyncAsync(http, seed, images, size);
                else a = await AsyncAsync(http, seed, images, size, pollMs);
                profile.Add((mode, probe.Read(images), (double)Interlocked.Exchange(ref _polls, 0) / images, (double)Interlocked.Exchange(ref _retries, 0) / images));
            }
            rounds.Add((images / s, images / a));
        }
        var ratio = Median(rounds.Select(p => p.Async / p.Sync));
        Console.WriteLine(F($"Async vs sync: {size}x{size} images on {kiln.Provider}, Kiln Release in-process, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores; {pairs} pairs of {images} per mode, alternating which goes first"));
        Console.WriteLine(F($"Warm-up: {warmRounds} rounds of {WarmBatch} images each way, for at least {MinWarmUp.TotalSeconds:F0} s, then until a round JIT-compiled fewer than {QuietJit} methods, at most {MaxWarmUp.TotalSeconds:F0} s (last round: {warmJit})"));
        Console.WriteLine();
        Console.WriteLine("| Pair | sync images/s | async images/s | async / sync |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (var i = 0; i < rounds.Count; i++)
            Console.WriteLine(F($"| {i + 1} ({(i % 2 == 0 ? "sync first" : "async first")}) | {rounds[i].Sync:F1} | {rounds[i].Async:F1} | {rounds[i].Async / rounds[i].Sync:F3} |"));
        Console.WriteLine(F($"| **median of paired ratios** | | | **{ratio:F3}** (budget >= {Budget}) |"));
        Console.WriteLine();
        Console.WriteLine(F($"Profile (status polled every {pollMs} ms): share of render slots busy, per image DB commands and status polls, mean ms of pick-up and spans"));
        Console.WriteLine();
        Console.WriteLine("| Mode | CPU ms / image: process (Kiln + client) | PostgreSQL | slots busy | DB commands / image | polls / image | 429s / image | pick-up mean / max ms | claim ms | run ms | render + slot wait ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (mode, w, p, retries) in profile)
            Console.WriteLine(F($"| {mode} | {w.CpuMsPerImage:F1} | {w.PostgresCpuMsPerImage:F1} | {w.SlotsBusy:P0} | {w.CommandsPerImage:F1} | {p:F2} | {retries:F2} | {w.PickupMeanMs:F0} / {w.PickupMaxMs:F0} | {w.ClaimMs:F2} | {w.RunMs:F1} | {w.RenderMs:F1} |"));
        return ratio >= Budget ? 0 : 3;
    }

    private const int WarmBatch = 16, QuietJit = 50;
    private static readonly TimeSpan MinWarmUp = TimeSpan.FromSeconds(30), MaxWarmUp = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Rounds of <see cref="WarmBatch"/> images each way for at least <see cref="MinWarmUp"/> and then until the JIT is
    /// quiet, a round that compiled fewer than <see cref="QuietJit"/> methods (Kiln runs in this process, so
    /// <see cref="System.Runtime.JitInfo"/> counts its methods too), or for <see cref="MaxWarmUp"/>. A quiet round alone
    /// is not enough: early rounds can be quiet only because tiered compilation has not started promoting methods yet.
    /// On two cores saturated by rendering tiering takes hundreds of images to finish, and a mode measured while it is
    /// still tiering up pays for it (docs/benchmarks.md#warm-measurement-fully-optimised-kernels-pooled-contexts-2026-12-02).
    /// </summary>
    private static async Task<(int Rounds, long LastRoundJit)> WarmUpAsync(HttpClient http, int size, int pollMs)
    {
        var clock = Stopwatch.StartNew();
        for (var round = 1; ; round++)
        {
            var before = System.Runtime.JitInfo.GetCompiledMethodCount();
            await SyncAsync(http, 100 * round, WarmBatch, size);
            await AsyncAsync(http, 100 * round + 50, WarmBatch, size, pollMs);
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount() - before;
            Console.Error.WriteLine(F($"warm-up round {round}: {compiled} methods JIT-compiled"));
            if ((compiled < QuietJit && clock.Elapsed > MinWarmUp) || clock.Elapsed > MaxWarmUp) return (round, compiled);
        }
    }

    private static string Body(int seed, int size) =>
        F($$"""{"prompt":"a lighthouse at dusk","size":{"width":{{size}},"height":{{size}}},"seeds":[{{seed}}]}""");

    /// <summary>Seconds for <paramref name="count"/> sync generates and their downloads, 4 clients at once.</summary>
    private static async Task<double> SyncAsync(HttpClient http, int firstSeed, int count, int size)
    {
        var next = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var body = await PostAsync(http, "/v3/images/generate", Body(firstSeed + i, size), 200);
                await DownloadAsync(http, body.GetProperty("outputs")[0]);
            }
        }));
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>Seconds for <paramref name="count"/> async jobs: all submitted, then each awaited in order and downloaded.</summary>
    private static async Task<double> AsyncAsync(HttpClient http, int firstSeed, int count, int size, int pollMs)
    {
        var status = new string[count];
        var next = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
                status[i] = new Uri((await PostAsync(http, "/v3/images/generate-async", Body(firstSeed + i, size), 202)).GetProperty("statusUrl").GetString()!).PathAndQuery;
        }));
        foreach (var path in status)
        {
            while (true)
            {
                Interlocked.Increment(ref _polls);
                using var res = await http.GetAsync(path);
                var job = JsonDocument.Parse(await res.Content.ReadAsStringAsync()).RootElement;
                var state = job.GetProperty("status").GetString();
                if (state == "succeeded") { await DownloadAsync(http, job.GetProperty("result").GetProperty("outputs")[0]); break; }
                if (state is "failed" or "canceled") throw new InvalidOperationException("job " + state + ": " + job);
                await Task.Delay(pollMs);
            }
        }
        return sw.Elapsed.TotalSeconds;
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, string path, string json, int expect)
    {
        while (true)
        {
            using var res = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
            var text = await res.Content.ReadAsStringAsync();
            if ((int)res.StatusCode == 429) { Interlocked.Increment(ref _retries); await Task.Delay(50); continue; } // a full pool: come back, as a client would
            if ((int)res.StatusCode != expect) throw new InvalidOperationException($"{path}: {(int)res.StatusCode} {text}");
            return JsonDocument.Parse(text).RootElement.Clone();
        }
    }

    private static async Task DownloadAsync(HttpClient http, JsonElement output)
    {
        var url = output.GetProperty("image").GetProperty("url").GetString()!;
        var bytes = await Plain.GetByteArrayAsync(url);
        if (bytes.Length < 1000) throw new InvalidOperationException("short image");
    }
}
