using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kiln.TestSupport;

namespace Kiln.Server.Tests.Infrastructure;

/// <summary>
/// Kiln as a separate OS process (<c>kiln serve</c>), for tests that restart or kill -9 the server.
/// </summary>
public sealed class KilnProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private (StreamWriter Log, StreamWriter Stdout)? _files;

    private KilnProcess(Process p, string baseUrl, string dataDir)
    {
        _process = p;
        BaseUrl = baseUrl;
        DataDir = dataDir;
    }

    public string BaseUrl { get; }
    public string DataDir { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int Pid => _process.Id;

    public static string KilnDll => Path.Combine(AppContext.BaseDirectory, "kiln.dll");

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>
    /// Starts `kiln serve`; <c>database</c> is a PostgreSQL connection string shared by several nodes (default: the suite's
    /// database for this data dir); <c>kilnDll</c> another build of kiln (default: this suite's).
    /// </summary>
    public static async Task<KilnProcess> StartAsync(string dataDir, int? port = null, IDictionary<string, string>? env = null, string? database = null,
        string? kilnDll = null, params string[] extraArgs)
    {
        var url = $"http://127.0.0.1:{port ?? FreePort()}";
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { kilnDll ?? KilnDll, "serve", "--urls", url, "--data", dataDir }.Concat(database is null ? TestDatabase.CliArgs(dataDir) : ["--database", database]).Concat(extraArgs))
            psi.ArgumentList.Add(a);
        var files = LogCapture.ForProcess("kiln-serve");
        if (files is not null)
        {
            // The suite's secret scan: Kiln at Debug, every log line on stderr, stdout left to what Kiln prints on purpose.
            psi.Environment["Logging__LogLevel__Default"] = "Debug";
            psi.Environment["Logging__Console__LogToStandardErrorThreshold"] = "Trace";
        }
        // Nodes on a PostgreSQL database need the key-encryption key (on the SQLite pass too, for the multi-node tests).
        if (database is not null && !psi.Environment.ContainsKey("KILN_KEY_ENCRYPTION_KEY"))
            psi.Environment["KILN_KEY_ENCRYPTION_KEY"] = TestDatabase.Kek;
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        if (env?.ContainsKey(SlowGenerator.DelayVariable) == true || env?.ContainsKey(ShortTokenStartup.LifetimeVariable) == true)
        {
            // The test seams, not Kiln options: kiln loads Kiln.TestSupport as a hosting startup assembly, which the
            // host resolves through that assembly's deps file (it is not in kiln.deps.json).
            psi.Environment["ASPNETCORE_HOSTINGSTARTUPASSEMBLIES"] = "Kiln.TestSupport";
            psi.Environment["DOTNET_ADDITIONAL_DEPS"] = Path.Combine(AppContext.BaseDirectory, "Kiln.TestSupport.deps.json");
        }
        var p = Process.Start(psi)!;
        var kp = new KilnProcess(p, url, dataDir) { _files = files };
        p.OutputDataReceived += (_, e) => kp.Append(e.Data, kp._files?.Stdout);
        p.ErrorDataReceived += (_, e) => kp.Append(e.Data, kp._files?.Log);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        await kp.WaitReadyAsync();
        return kp;
    }

    private void Append(string? line, StreamWriter? file)
    {
        lock (_output)
        {
            _output.AppendLine(line);
            if (line is not null) file?.WriteLine(line);
        }
    }

    private async Task WaitReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"kiln exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var res = await http.GetAsync(BaseUrl + "/health/ready");
                if (res.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"kiln did not become ready:\n{Output}");
    }

    /// <summary>kill -9: no shutdown hooks run.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, as a service manager would: a clean shutdown.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        if (_process.HasExited) _process.WaitForExit(); // drains the redirected streams before the files close
        _process.Dispose();
        lock (_output)
        {
            _files?.Log.Dispose();
            _files?.Stdout.Dispose();
            _files = null;
        }
        await Task.CompletedTask;
    }
}
