using System.Diagnostics;
using System.Globalization;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Faults;

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
