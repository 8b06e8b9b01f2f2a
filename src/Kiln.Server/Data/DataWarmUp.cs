using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Data;

/// <summary>
/// EF Core's first use costs a start a few hundred milliseconds of JIT on one core: its internal services, the model
/// and the query pipeline (docs/benchmarks.md#where-the-time-goes-now). Started on a spare core while the host is
/// built, that work is done, or under way, by the time the initializer opens the database. The warm-up touches no
/// database: it translates a query to SQL and stops, so it needs neither the schema nor a connection.
/// </summary>
public static class DataWarmUp
{
    /// <summary>Starts the warm-up for the provider Kiln will use; the caller does not wait for it.</summary>
    public static Task Start(bool postgres, string dataDir, string? connectionString) => Task.Run(() =>
    {
        try
        {
            using KilnDb db = postgres
                ? new PostgresKilnDb((DbContextOptions<PostgresKilnDb>)KilnDbOptions.Postgres(new DbContextOptionsBuilder<PostgresKilnDb>(), connectionString).Options)
                : new SqliteKilnDb((DbContextOptions<SqliteKilnDb>)KilnDbOptions.Sqlite(new DbContextOptionsBuilder<SqliteKilnDb>(), dataDir).Options);
            _ = db.ServerSettings.AsNoTracking().Where(s => s.Key == "warm-up").Select(s => s.Value).ToQueryString();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // Only speed is at stake: a bad connection string is reported by the initializer, which opens the database.
        }
    });
}
