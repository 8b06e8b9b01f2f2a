using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Kiln.Load;

/// <summary>
/// Crash loop (issue 7): rounds of mixed write load (secret adds and deletes, token mints, async generate jobs, 2048x2048) on one
/// `kiln serve`, each ended by kill -9 at a random moment. Between rounds it checks that no acknowledged secret was
/// lost (it still mints), no acknowledged delete came back (it is refused), every accepted job reaches a terminal
/// state, and on SQLite that <c>PRAGMA integrity_check</c> says ok. Exit code 0 only when nothing was violated.
/// </summary>
public static class CrashLoop
{
    public static async Task<int> RunAsync(string kilnDll, string? postgresAdmin, int rounds, int maxSeconds, int port, int seed)
    {
        var root = Directory.CreateTempSubdirectory("kiln-crash-loop-").FullName;
        var dataDir = Path.Combine(root, "data");
        var database = postgresAdmin is null ? null : KilnNode.CreateDatabase(postgresAdmin);
        var env = new Dictionary<string, string> { ["Kiln__Ims__MaxSecretsPerCredential"] = "5", ["Kiln__Firefly__JobLease"] = "00:00:05" };
        var rng = new Random(seed);
        var state = new State();
        var total = Stopwatch.StartNew();
        var node = await KilnNode.StartAsync(kilnDll, dataDir, port, database, env);
        var demo = KilnNode.Demo(dataDir);
        var (clientId, demoSecret) = (demo.GetProperty("client_id").GetString()!, demo.GetProperty("client_secret").GetString()!);
        var secretsPath = $"/console/organizations/{demo.GetProperty("org_id").GetString()}/credentials/{demo.GetProperty("credential_id").GetString()}/secrets";
        Console.WriteLine($"crash loop: {(database is null ? "SQLite" : "PostgreSQL")}, {rounds} rounds, seed {seed}, data {root}");
        var done = 0;
        try
        {
            for (var round = 1; round <= rounds && total.Elapsed < TimeSpan.FromSeconds(maxSeconds); round++)
            {
                using var api = new KilnApi(node.Url, clientId);
                api.Token = (await api.TokenAsync(demoSecret)).Body.GetProperty("access_token").GetString();
                state.DemoUuid ??= (await api.SendAsync(HttpMethod.Get, secretsPath)).Body.GetProperty("client_secrets")[0].GetProperty("uuid").GetString();
                await TidyAsync(api, secretsPath, state);

                var loadFor = TimeSpan.FromMilliseconds(rng.Next(1000, 6000));
                using var stop = new CancellationTokenSource();
                var workers = Enumerable.Range(0, 4).Select(i => Task.Run(() => WorkAsync(node.Url, clientId, api.Token!, secretsPath, state, new Random(seed + round * 10 + i), stop.Token))).ToList();
                await Task.Delay(loadFor);
                node.Kill(); // requests are in flight
                await stop.CancelAsync();
                await Task.WhenAll(workers);

                var integrity = database is null ? IntegrityCheck(Path.Combine(dataDir, "kiln.db")) : "n/a";
                state.Interrupted += await UnfinishedAsync(database, Path.Combine(dataDir, "kiln.db"), state);
                if (integrity is not "ok" and not "n/a") state.Violations.Add($"round {round}: integrity_check: {integrity}");

                node.Dispose();
                node = await KilnNode.StartAsync(kilnDll, dataDir, port, database, env);
                using var check = new KilnApi(node.Url, clientId);
                var (s, body) = await check.TokenAsync(demoSecret);
                if (s != 200) { state.Violations.Add($"round {round}: the demo secret no longer mints ({s})"); break; }
                check.Token = body.GetProperty("access_token").GetString();
                var (lost, back) = await CheckSecretsAsync(check, state, round);
                var (terminal, stuck) = await CheckJobsAsync(check, state, round);
                done = round;
                Console.WriteLine(F($"round {round,2}: killed after {loadFor.TotalSeconds:F1}s; acked adds {state.Adds}, deletes {state.Deletes}, jobs {state.Jobs.Count} ({terminal} terminal, {stuck} not, {state.Interrupted} left unfinished by kills so far); lost {lost}, resurrected {back}; integrity {integrity}; {total.Elapsed.TotalSeconds:F0}s"));
            }
        }
        finally
        {
            node.Dispose();
        }
        var states = state.JobStates.GroupBy(kv => kv.Value).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
        Console.WriteLine();
        Console.WriteLine($"| Figure | {(database is null ? "SQLite" : "PostgreSQL")} |");
        Console.WriteLine("|---|---|");
        Console.WriteLine(F($"| rounds (kill -9) | {done} in {total.Elapsed.TotalSeconds:F0} s |"));
        Console.WriteLine(F($"| acknowledged secret adds / deletes | {state.Adds} / {state.Deletes} |"));
        Console.WriteLine(F($"| token mints during load (2xx) | {state.Mints} |"));
        Console.WriteLine(F($"| accepted jobs (202) | {state.Jobs.Count}: {string.Join(", ", states)} |"));
        Console.WriteLine(F($"| accepted jobs left pending or running by a kill | {state.Interrupted} |"));
        Console.WriteLine(F($"| requests cut off by a kill (fate unknown, not counted) | {state.CutOff} |"));
        Console.WriteLine(F($"| violations | {state.Violations.Count} |"));
        foreach (var v in state.Violations) Console.WriteLine("  VIOLATION " + v);
        if (state.Violations.Count == 0) Directory.Delete(root, true);
        return state.Violations.Count == 0 && done == rounds ? 0 : 1;
    }

    private sealed class State
    {
        public readonly Lock Gate = new();
        public readonly Dictionary<string, string> Alive = new(StringComparer.Ordinal);   // uuid -> secret: 201 and no 204
        public readonly Dictionary<string, string> Dead = new(StringComparer.Ordinal);    // uuid -> secret: 204
        public readonly Dictionary<string, string> Limbo = new(StringComparer.Ordinal);   // delete sent, answer lost in the kill
        public readonly Dictionary<string, string> Jobs = new(StringComparer.Ordinal);    // job id -> status path: 202
        public readonly Dictionary<string, string> JobStates = new(StringComparer.Ordinal);
        public readonly List<string> Violations = [];
        public string? DemoUuid;
        public int Adds, Deletes, Mints, CutOff, JobsThisRound, Interrupted;
        public Stopwatch RoundClock = new();
    }

    private static async Task WorkAsync(string url, string clientId, string token, string secretsPath, State st, Random rng, CancellationToken stop)
    {
        using var api = new KilnApi(url, clientId) { Token = token };
        while (!stop.IsCancellationRequested)
        {
            var op = rng.NextDouble();
            try
            {
                if (op < 0.35)
                {
                    string? secret;
                    lock (st.Gate) secret = st.Alive.Values.Skip(st.Alive.Count == 0 ? 0 : rng.Next(st.Alive.Count)).FirstOrDefault();
                    if (secret is not null && (await api.TokenAsync(secret)).Status == 200) Interlocked.Increment(ref st.Mints);
                }
                else if (op < 0.7)
                {
                    await RotateAsync(api, secretsPath, st, rng);
                }
                else
                {
                    // About three jobs a second, spread over the round, large enough that some are running at the kill.
                    if (Interlocked.Increment(ref st.JobsThisRound) > st.RoundClock.Elapsed.TotalSeconds * 3) { Interlocked.Decrement(ref st.JobsThisRound); await Task.Delay(20, CancellationToken.None); continue; }
                    var (s, body) = await api.SendAsync(HttpMethod.Post, "/v3/images/generate-async", KilnApi.Generate(rng.Next(), 2048));
                    if (s == 202) lock (st.Gate) st.Jobs[body.GetProperty("jobId").GetString()!] = new Uri(body.GetProperty("statusUrl").GetString()!).PathAndQuery;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Net.Sockets.SocketException or IOException)
            {
                Interlocked.Increment(ref st.CutOff);
                return; // the node is gone
            }
        }
    }

    /// <summary>Adds a secret; when more than two are alive, deletes one of them.</summary>
    private static async Task RotateAsync(KilnApi api, string secretsPath, State st, Random rng)
    {
        var (s, body) = await api.SendAsync(HttpMethod.Post, secretsPath);
        if (s == 201)
        {
            lock (st.Gate) st.Alive[body.GetProperty("uuid").GetString()!] = body.GetProperty("client_secret").GetString()!;
            Interlocked.Increment(ref st.Adds);
        }
        KeyValuePair<string, string> victim;
        lock (st.Gate)
        {
            if (st.Alive.Count <= 2) return;
            victim = st.Alive.ElementAt(rng.Next(st.Alive.Count));
            st.Alive.Remove(victim.Key);
            st.Limbo[victim.Key] = victim.Value; // until the answer arrives, its fate is unknown
        }
        var (d, _) = await api.SendAsync(HttpMethod.Delete, secretsPath + "/" + victim.Key);
        lock (st.Gate)
        {
            st.Limbo.Remove(victim.Key);
            if (d == 204) { st.Dead[victim.Key] = victim.Value; st.Deletes++; }
            else st.Alive[victim.Key] = victim.Value;
        }
    }

    /// <summary>After a restart: secrets whose add or delete was cut off are deleted now, so the limit never fills up.</summary>
    private static async Task TidyAsync(KilnApi api, string secretsPath, State st)
    {
        st.JobsThisRound = 0;
        st.RoundClock = Stopwatch.StartNew();
        var listed = (await api.SendAsync(HttpMethod.Get, secretsPath)).Body.GetProperty("client_secrets").EnumerateArray()
            .Select(e => e.GetProperty("uuid").GetString()!).ToList();
        foreach (var uuid in listed)
        {
            if (uuid == st.DemoUuid || st.Alive.ContainsKey(uuid)) continue;
            if (st.Dead.ContainsKey(uuid)) { st.Violations.Add($"deleted secret {uuid} is listed again"); continue; }
            var (d, _) = await api.SendAsync(HttpMethod.Delete, secretsPath + "/" + uuid);
            if (d == 204 && st.Limbo.Remove(uuid, out var secret)) { st.Dead[uuid] = secret; st.Deletes++; }
        }
        foreach (var (uuid, secret) in st.Limbo) st.Dead[uuid] = secret; // not listed: the cut-off delete did happen
        st.Limbo.Clear();
    }

    private static async Task<(int Lost, int Back)> CheckSecretsAsync(KilnApi api, State st, int round)
    {
        var (lost, back) = (0, 0);
        foreach (var (uuid, secret) in st.Alive)
        {
            var (s, _) = await api.TokenAsync(secret);
            if (s != 200) { lost++; st.Violations.Add($"round {round}: acknowledged secret {uuid} no longer mints ({s})"); }
        }
        foreach (var (uuid, secret) in st.Dead)
        {
            var (s, body) = await api.TokenAsync(secret);
            if (s != 400 || body.GetProperty("error").GetString() != "invalid_client") { back++; st.Violations.Add($"round {round}: deleted secret {uuid} answered {s}"); }
        }
        return (lost, back);
    }

    private static async Task<(int Terminal, int Stuck)> CheckJobsAsync(KilnApi api, State st, int round)
    {
        var deadline = DateTime.UtcNow.AddSeconds(180);
        var open = st.Jobs.Where(j => !st.JobStates.ContainsKey(j.Key)).ToList();
        while (open.Count > 0 && DateTime.UtcNow < deadline)
        {
            foreach (var (id, path) in open)
            {
                var (s, body) = await api.SendAsync(HttpMethod.Get, path);
                if (s != 200) { st.Violations.Add($"round {round}: accepted job {id} answers {s}"); st.JobStates[id] = "missing"; continue; }
                var status = body.GetProperty("status").GetString()!;
                if (status is "succeeded" or "failed" or "canceled") st.JobStates[id] = status;
            }
            open = open.Where(j => !st.JobStates.ContainsKey(j.Key)).ToList();
            if (open.Count > 0) await Task.Delay(250);
        }
        foreach (var (id, _) in open) st.Violations.Add($"round {round}: accepted job {id} did not reach a terminal state in 180 s");
        return (st.JobStates.Count, open.Count);
    }

    /// <summary>Accepted jobs that the dead node left pending or running, read from the database while Kiln is down.</summary>
    private static async Task<int> UnfinishedAsync(string? database, string dbFile, State st)
    {
        await using System.Data.Common.DbConnection c = database is null
            ? new SqliteConnection($"Data Source={dbFile};Pooling=False")
            : new Npgsql.NpgsqlConnection(database);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT \"Id\" FROM \"Jobs\" WHERE \"Status\" IN ('pending', 'running')";
        var n = 0;
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) if (st.Jobs.ContainsKey(r.GetString(0))) n++;
        return n;
    }

    private static string IntegrityCheck(string dbFile)
    {
        using var c = new SqliteConnection($"Data Source={dbFile};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA integrity_check;";
        return Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "(null)";
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
