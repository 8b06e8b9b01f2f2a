using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;

namespace Kiln.Server.Tests.Infrastructure;

/// <summary>
/// Which database the suite runs on. The same tests run twice in CI: on SQLite (the default) and, with
/// KILN_TEST_PROVIDER=postgres, on a real PostgreSQL server (KILN_TEST_POSTGRES), one fresh database per Kiln.
/// </summary>
public static class TestDatabase
{
    /// <summary>
    /// The key-encryption key of every Kiln that shares a PostgreSQL database in the suite (PostgreSQL has no default KEK:
    /// docs/security.md#keys-at-rest). On the PostgreSQL pass it is in this process's environment, so in-process Kilns,
    /// <c>kiln serve</c> / <c>kiln admin</c> processes and the crash-loop tool all read it, as every node of a cluster would.
    /// </summary>
    public const string Kek = "a2lsbi10ZXN0LWtleS1lbmNyeXB0aW9uLWtleS0zMmI=";

    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void SupplyKekOnPostgres()
    {
        if (IsPostgres && Environment.GetEnvironmentVariable("KILN_KEY_ENCRYPTION_KEY") is null)
            Environment.SetEnvironmentVariable("KILN_KEY_ENCRYPTION_KEY", Kek);
    }

    public static bool IsPostgres => string.Equals(Environment.GetEnvironmentVariable("KILN_TEST_PROVIDER"), "postgres", StringComparison.OrdinalIgnoreCase);

    private static string AdminConnection => Environment.GetEnvironmentVariable("KILN_TEST_POSTGRES")
        ?? throw new InvalidOperationException("KILN_TEST_PROVIDER=postgres needs KILN_TEST_POSTGRES (a connection string); ./test.sh sets both.");

    private static readonly ConcurrentDictionary<string, string> ByDataDir = new();

    /// <summary>The Kiln:Database value for a Kiln instance that uses this data dir (stable across restarts); null on SQLite.</summary>
    public static string? ConnectionFor(string dataDir) => IsPostgres ? ByDataDir.GetOrAdd(dataDir, _ => Create()) : null;

    /// <summary>Arguments for `kiln serve` / `kiln admin` on the same database.</summary>
    public static string[] CliArgs(string dataDir) => ConnectionFor(dataDir) is { } c ? ["--database", c] : [];

    /// <summary>A fresh PostgreSQL database whatever the suite's provider (multi-node tests need one).</summary>
    public static string CreatePostgres(string key) => ByDataDir.GetOrAdd(key, _ => Create());

    private static string Create()
    {
        var name = "kiln_t_" + Guid.NewGuid().ToString("N")[..16];
        using (var conn = new NpgsqlConnection(AdminConnection))
        {
            conn.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", conn);
            cmd.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(AdminConnection) { Database = name, Pooling = true, MaxPoolSize = 20 }.ConnectionString;
    }

    public static void Drop(string dataDir)
    {
        if (!ByDataDir.TryRemove(dataDir, out var c)) return;
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(c).Database;
        using var conn = new NpgsqlConnection(AdminConnection);
        conn.Open();
        using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", conn);
        cmd.ExecuteNonQuery();
    }

    /// <summary>Everything the database holds, as text: the SQLite files' bytes, or a pg_dump.</summary>
    public static string RawContents(string dataDir)
    {
        if (ConnectionFor(dataDir) is not { } c)
            return string.Concat(Directory.GetFiles(dataDir, "kiln.db*").Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        var b = new NpgsqlConnectionStringBuilder(c);
        var psi = new ProcessStartInfo("pg_dump") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-h", b.Host!, "-p", b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", b.Username ?? "postgres", b.Database! })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var dump = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "pg_dump failed: " + p.StandardError.ReadToEnd());
        return dump;
    }
}
