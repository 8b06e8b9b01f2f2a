using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Faults;

/// <summary>
/// A throwaway PostgreSQL cluster of its own (initdb + pg_ctl, run as user postgres like ./test.sh), so a test can
/// stop and restart the database under a running Kiln without touching the suite's server.
/// </summary>
public sealed class PgCluster : IDisposable
{
    private readonly string _bin;

    private PgCluster(string dir, string bin, int port)
    {
        Dir = dir;
        _bin = bin;
        Port = port;
    }

    public string Dir { get; }
    public int Port { get; }

    /// <summary>Short connect timeout: an outage must answer in seconds, not wait out Npgsql's 15 s default.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=postgres;Timeout=3;Command Timeout=15";

    public static PgCluster Start()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault()
            : null;
        Assert.True(bin is not null, "PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are missing; ./test.sh installs them");
        var dir = Directory.CreateTempSubdirectory("kiln-pgdown-").FullName;
        FaultShell.Run("chmod", "755", dir);
        FaultShell.Run("chown", "postgres:", dir);
        var pg = new PgCluster(dir, bin!, KilnProcess.FreePort());
        FaultShell.Run("runuser", "-u", "postgres", "--", Path.Combine(bin!, "initdb"), "-D", Path.Combine(dir, "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8");
        pg.Up();
        return pg;
    }

    public void Up() => FaultShell.Run("runuser", "-u", "postgres", "--", Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(Dir, "data"), "-l", Path.Combine(Dir, "pg.log"),
        "-o", $"-c listen_addresses=127.0.0.1 -p {Port.ToString(CultureInfo.InvariantCulture)} -k {Dir} -c fsync=off", "-w", "start");

    /// <summary>Stops the server; <c>immediate</c> is a crash (no checkpoint, clients cut off), <c>fast</c> a clean stop.</summary>
    public void Down(string mode = "immediate") =>
        FaultShell.Run("runuser", "-u", "postgres", "--", Path.Combine(_bin, "pg_ctl"), "-D", Path.Combine(Dir, "data"), "-m", mode, "-w", "stop");

    public void Dispose()
    {
        try { Down(); } catch (InvalidOperationException) { /* already down */ }
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

/// <summary>A small tmpfs mounted over a directory, so the disk really fills up. Needs root (CI runs as root).</summary>
public sealed class Tmpfs : IDisposable
{
    private Tmpfs(string dir) => Dir = dir;

    public string Dir { get; }
    private string Filler => Path.Combine(Dir, "filler.bin");

    public static Tmpfs Mount(int megabytes)
    {
        var dir = Directory.CreateTempSubdirectory("kiln-diskfull-").FullName;
        var (code, output) = FaultShell.TryRun("mount", "-t", "tmpfs", "-o", $"size={megabytes.ToString(CultureInfo.InvariantCulture)}m,mode=0755", "tmpfs", dir);
        Assert.True(code == 0, $"The disk-full test needs to mount a tmpfs (run as root, as CI does): mount exited {code}: {output}");
        return new Tmpfs(dir);
    }

    /// <summary>Writes a filler file until the file system answers ENOSPC.</summary>
    public void Fill()
    {
        using var f = new FileStream(Filler, FileMode.Append, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        foreach (var chunk in new[] { 1 << 20, 4096, 512 })
        {
            var buffer = new byte[chunk];
            try
            {
                while (true) { f.Write(buffer); f.Flush(); }
            }
            catch (IOException) { /* full at this granularity; try a smaller chunk */ }
        }
    }

    public void Free() => File.Delete(Filler);

    public void Dispose()
    {
        if (FaultShell.TryRun("umount", Dir).Code != 0) FaultShell.TryRun("umount", "-l", Dir);
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

/// <summary>A private s3rver (from tools/s3, installed by ./test.sh) that a test can stop and start again on the same port and data.</summary>
public sealed class S3Server : IDisposable
{
    private readonly string _script;
    private Process? _process;

    private S3Server(string script, string dir, int port)
    {
        _script = script;
        Dir = dir;
        Port = port;
    }

    public string Dir { get; }
    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>A Kiln:Storage value for a fresh bucket on this server.</summary>
    public string NewBucket() => $"s3://kiln-{Guid.NewGuid():N}?endpoint={Endpoint}&region=us-east-1&forcePathStyle=true";

    public static async Task<S3Server> StartAsync()
    {
        var root = AppContext.BaseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root, "Kiln.slnx"))) root = Path.GetDirectoryName(root);
        var script = root is null ? null : Path.Combine(root, "tools", "s3", "node_modules", "s3rver", "bin", "s3rver.js");
        Assert.True(script is not null && File.Exists(script), "s3rver is not installed under tools/s3 (./test.sh runs npm ci there)");
        var s3 = new S3Server(script!, Directory.CreateTempSubdirectory("kiln-s3down-").FullName, KilnProcess.FreePort());
        await s3.UpAsync();
        return s3;
    }

    public async Task UpAsync()
    {
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { _script, "-d", Dir, "-a", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "--silent" }) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync(System.Net.IPAddress.Loopback, Port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    public void Down()
    {
        if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
        _process?.WaitForExit(10_000);
        _process?.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        Down();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

public static class FaultShell
{
    public static void Run(string file, params string[] args)
    {
        var (code, output) = TryRun(file, args);
        if (code != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {code}: {output}");
    }

    public static (int Code, string Output) TryRun(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }
}

/// <summary>Requests and assertions shared by the outage tests.</summary>
public static class Outage
{
    /// <summary>Asserts a 503 with Retry-After in the gateway shape <c>{"error_code":"service_unavailable","message"}</c>.</summary>
    public static async Task GatewayAsync(HttpResponseMessage res, string what)
    {
        var body = await res.Content.ReadAsStringAsync();
        Assert.True((int)res.StatusCode == 503, $"{what}: expected 503, got {(int)res.StatusCode}: {body}");
        Assert.True(res.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, $"{what}: 503 without Retry-After");
        Assert.StartsWith("application/json", res.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("service_unavailable", json.GetProperty("error_code").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("message").GetString()));
    }

    /// <summary>Asserts a 503 with Retry-After in the OAuth shape <c>{"error":"temporarily_unavailable","error_description"}</c>.</summary>
    public static async Task OAuthAsync(HttpResponseMessage res, string what)
    {
        var body = await res.Content.ReadAsStringAsync();
        Assert.True((int)res.StatusCode == 503, $"{what}: expected 503, got {(int)res.StatusCode}: {body}");
        Assert.True(res.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 }, $"{what}: 503 without Retry-After");
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("temporarily_unavailable", json.GetProperty("error").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("error_description").GetString()));
        Assert.True(res.Headers.CacheControl?.NoStore == true, $"{what}: no Cache-Control: no-store");
    }

    public static HttpClient Http(KilnProcess node, string? token = null, string? apiKey = null)
    {
        var c = new HttpClient { BaseAddress = new Uri(node.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (apiKey is not null) c.DefaultRequestHeaders.Add("x-api-key", apiKey);
        return c;
    }

    public static Task<HttpResponseMessage> TokenAsync(HttpClient http, string clientId, string secret) =>
        http.PostAsync("/ims/token/v3", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = Scopes,
        }));

    public const string Scopes = "AdobeID,openid,read_organizations,adobeio_api,read_client_secret,manage_client_secrets,firefly_api,ff_apis";

    public static StringContent Generate(int seed) =>
        new($$"""{"prompt":"a lighthouse at dusk","size":{"width":1024,"height":1024},"seeds":[{{seed}}]}""", System.Text.Encoding.UTF8, "application/json");

    /// <summary>Retries <paramref name="send"/> until it answers <paramref name="status"/> (the fault has cleared) or the time is up.</summary>
    public static async Task<HttpResponseMessage> UntilAsync(Func<Task<HttpResponseMessage>> send, int status, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            HttpResponseMessage? res = null;
            try { res = await send(); }
            catch (HttpRequestException) { }
            if (res is not null && (int)res.StatusCode == status) return res;
            var last = res is null ? "no answer" : $"{(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}";
            res?.Dispose();
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not recover to {status}: last answer {last}");
            await Task.Delay(250);
        }
    }
}
