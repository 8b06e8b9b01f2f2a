using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Kiln.Load;

/// <summary>One `kiln serve` process for the fault and soak runs: start, wait until ready, kill -9, read its RSS.</summary>
public sealed class KilnNode : IDisposable
{
    /// <summary>One key-encryption key for every node this run starts.</summary>
    private static readonly string BenchKek = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private readonly Process _process;
    private readonly StreamWriter _log;

    private KilnNode(Process p, string url, StreamWriter log)
    {
        _process = p;
        Url = url;
        _log = log;
    }

    public string Url { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public static async Task<KilnNode> StartAsync(string kilnDll, string dataDir, int port, string? database, IDictionary<string, string> env)
    {
        Directory.CreateDirectory(dataDir);
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { kilnDll, "serve", "--urls", url, "--data", dataDir }.Concat(database is null ? [] : ["--database", database]))
            psi.ArgumentList.Add(arg);
        psi.Environment["Logging__LogLevel__Default"] = "Warning";
        psi.Environment["Kiln__Ims__BruteForce__MaxFailuresPerAddress"] = "100000000";
        psi.Environment["Kiln__Ims__BruteForce__MaxFailuresPerClient"] = "100000000";
        foreach (var (k, v) in env) psi.Environment[k] = v;
        // Nodes on PostgreSQL need a key-encryption key, the same on every node (docs/security.md#keys-at-rest).
        if (database is not null && !psi.Environment.ContainsKey("KILN_KEY_ENCRYPTION_KEY")) psi.Environment["KILN_KEY_ENCRYPTION_KEY"] = BenchKek;
        var log = new StreamWriter(Path.Combine(Path.GetDirectoryName(dataDir)!, Path.GetFileName(dataDir) + ".log"), append: true) { AutoFlush = true };
        var p = Process.Start(psi)!;
        var node = new KilnNode(p, url, log);
        p.OutputDataReceived += (_, e) => node.Write(e.Data);
        p.ErrorDataReceived += (_, e) => node.Write(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        for (var i = 0; i < 600; i++)
        {
            if (p.HasExited) throw new InvalidOperationException($"kiln serve exited with {p.ExitCode}; see {dataDir}.log");
            try { if ((await http.GetAsync(url + "/health/ready")).IsSuccessStatusCode) return node; }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("kiln serve did not become ready on " + url);
    }

    private void Write(string? line)
    {
        if (line is null) return;
        lock (_log) _log.WriteLine(line);
    }

    /// <summary>kill -9: no shutdown hook runs.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>Resident memory in MiB, from /proc/&lt;pid&gt;/status (VmRSS); null once the process is gone.</summary>
    public double? RssMiB()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid.ToString(CultureInfo.InvariantCulture)}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException) { }
        return null;
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Kill();
        _process.Dispose();
        lock (_log) _log.Dispose();
    }

    public static JsonElement Demo(string dataDir) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(dataDir, "demo-credential.json"))).RootElement.Clone();

    /// <summary>Creates a fresh database on the server <paramref name="admin"/> points at and returns its connection string.</summary>
    public static string CreateDatabase(string admin, string prefix = "kiln_fault_")
    {
        var name = prefix + Guid.NewGuid().ToString("N")[..12];
        using (var conn = new NpgsqlConnection(admin))
        {
            conn.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            cmd.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }
}

/// <summary>The few calls the fault and soak runs make, each returning the status and body without throwing on 4xx/5xx.</summary>
public sealed class KilnApi(string baseUrl, string clientId) : IDisposable
{
    public const string Scopes = "AdobeID,openid,read_organizations,adobeio_api,read_client_secret,manage_client_secrets,firefly_api,ff_apis";
    private readonly HttpClient _http = new() { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };

    public string? Token { get; set; }

    public async Task<(int Status, JsonElement Body)> TokenAsync(string secret)
    {
        using var res = await _http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = Scopes,
        }));
        return await ReadAsync(res);
    }

    public async Task<(int Status, JsonElement Body)> SendAsync(HttpMethod method, string path, string? json = null)
    {
        using var req = new HttpRequestMessage(method, path);
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        req.Headers.Add("x-api-key", clientId);
        if (json is not null) req.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var res = await _http.SendAsync(req);
        return await ReadAsync(res);
    }

    public static string Generate(int seed, int size = 1024) =>
        $$"""{"prompt":"a lighthouse at dusk","size":{"width":{{size}},"height":{{size}}},"seeds":[{{seed}}]}""";

    private static async Task<(int, JsonElement)> ReadAsync(HttpResponseMessage res)
    {
        var text = await res.Content.ReadAsStringAsync();
        JsonElement body = default;
        try { if (text.Length > 0) body = JsonDocument.Parse(text).RootElement.Clone(); } catch (JsonException) { }
        return ((int)res.StatusCode, body);
    }

    public void Dispose() => _http.Dispose();
}
