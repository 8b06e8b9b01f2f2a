using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Kiln.Server.Data;

/// <summary>
/// How each provider's context is configured: the one place for the app's registration (<c>KilnApp.AddKilnData</c>)
/// and the start-up warm-up (<see cref="DataWarmUp"/>). Both run on the compiled models
/// (docs/architecture.md#compiled-models).
/// </summary>
public static class KilnDbOptions
{
    public static DbContextOptionsBuilder Sqlite(DbContextOptionsBuilder o, string dataDir) =>
        o.UseSqlite($"Data Source={Path.Combine(dataDir, "kiln.db")};Foreign Keys=True;Default Timeout=30")
            .AddInterceptors(SqliteBusyTimeout.Instance)
            .UseModel(CompiledModels.Sqlite.SqliteKilnDbModel.Instance);

    public static DbContextOptionsBuilder Postgres(DbContextOptionsBuilder o, string? connectionString) =>
        o.UseNpgsql(WithKilnDefaults(connectionString)).UseModel(CompiledModels.Postgres.PostgresKilnDbModel.Instance);

    /// <summary>
    /// Two Npgsql settings Kiln turns on unless the connection string sets them (docs/configuration.md): no
    /// <c>DISCARD ALL</c> when a connection goes back to the pool (Kiln keeps no session state on its contexts'
    /// connections: its advisory locks are transaction-scoped and LISTEN has a connection of its own), and statements
    /// prepared on the server after five uses, which that keeps alive across leases. A string Npgsql cannot parse is
    /// passed on unchanged, for Npgsql to report.
    /// </summary>
    internal static string? WithKilnDefaults(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString)) return connectionString;
        try
        {
            var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
            var tuned = new NpgsqlConnectionStringBuilder(connectionString);
            if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose")) tuned.NoResetOnClose = true;
            if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare")) tuned.MaxAutoPrepare = 32;
            return tuned.ConnectionString;
        }
        catch (ArgumentException)
        {
            return connectionString;
        }
    }
}
