using System.Globalization;
using Kiln.Server.Hosting;

namespace Kiln.Load;

/// <summary>One Release Kiln started inside the load process (SQLite, or PostgreSQL on a fresh database), on loopback.</summary>
public sealed class InProcess : IAsyncDisposable
{
    private InProcess(WebApplication app, string url, string dataDir, DemoCredential demo, string provider)
    {
        (App, Url, DataDir, Demo, Provider) = (app, url, dataDir, demo, provider);
    }

    public WebApplication App { get; }
    public string Url { get; }
    public string DataDir { get; }
    public DemoCredential Demo { get; }
    public string Provider { get; }

    /// <param name="postgresAdmin">null for SQLite; else a connection string to a server where a fresh database is created.</param>
    /// <param name="map">extra endpoints mapped before start.</param>
    /// <param name="extra">extra command-line settings.</param>
    public static async Task<InProcess> StartAsync(string? postgresAdmin, Action<WebApplication>? map = null, params string[] extra)
    {
        var dataDir = Directory.CreateTempSubdirectory("kiln-load-").FullName;
        var port = 5600 + Random.Shared.Next(300);
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var args = new List<string>
        {
            "--urls", url, $"--Kiln:DataDir={dataDir}", "--Logging:LogLevel:Default=Warning",
            // wrk cuts requests off mid-body when a run ends; those are logged as errors and say nothing here.
            "--Logging:LogLevel:Microsoft.AspNetCore.Diagnostics.ExceptionHandlerMiddleware=None",
            "--Kiln:Ims:BruteForce:MaxFailuresPerAddress=100000000", "--Kiln:Ims:BruteForce:MaxFailuresPerClient=100000000",
        };
        if (postgresAdmin is not null)
        {
            args.Add("--Kiln:Database=" + KilnNode.CreateDatabase(postgresAdmin, "kiln_load_"));
            // Nodes on PostgreSQL need a key-encryption key (docs/security.md#keys-at-rest).
            args.Add("--Kiln:KeyEncryptionKey=" + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        }
        args.AddRange(extra);
        var app = KilnApp.Build([.. args]);
        map?.Invoke(app);
        await app.StartAsync();
        var demo = (await Bootstrap.ReadFileAsync(dataDir, default))!;
        return new InProcess(app, url, dataDir, demo, postgresAdmin is null ? "SQLite" : "PostgreSQL");
    }

    /// <summary>The form body the seed sends for a client_credentials token.</summary>
    public static string TokenBody(string clientId, string secret) =>
        $"grant_type=client_credentials&client_id={clientId}&client_secret={secret}&scope=firefly_api,ff_apis";

    /// <summary>A wrk script that POSTs the given bodies in turn (each wrk thread starts at its own offset).</summary>
    public static async Task<string> TokenLuaAsync(string dir, string name, IReadOnlyList<string> bodies)
    {
        var path = Path.Combine(dir, name + ".lua");
        await using var w = new StreamWriter(path);
        await w.WriteLineAsync("wrk.method = \"POST\"");
        await w.WriteLineAsync("wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"");
        await w.WriteLineAsync("bodies = {");
        foreach (var b in bodies) await w.WriteLineAsync("\"" + b + "\",");
        await w.WriteLineAsync("}");
        await w.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $$"""
            local threads = 0
            function setup(thread) thread:set("offset", threads * {{Math.Max(1, bodies.Count / 2)}}) threads = threads + 1 end
            function init(args) i = (offset or 0) % #bodies end
            function request() i = i % #bodies + 1 return wrk.format(nil, nil, nil, bodies[i]) end
            """));
        return path;
    }

    /// <summary>VmRSS and VmHWM of this process in MiB.</summary>
    public static (double Rss, double Peak) Memory()
    {
        double rss = 0, hwm = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kb(line);
        }
        return (rss, hwm);
        static double Kb(string line) => double.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        try { Directory.Delete(DataDir, true); } catch (IOException) { }
    }
}

/// <summary>Medians and paired ratios.</summary>
public static class Stats
{
    public static double Median(IEnumerable<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count == 0 ? double.NaN : s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    public static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
