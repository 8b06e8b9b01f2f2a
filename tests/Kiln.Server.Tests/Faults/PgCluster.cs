using System.Globalization;
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
