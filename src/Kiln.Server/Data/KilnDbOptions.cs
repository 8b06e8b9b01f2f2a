using Microsoft.EntityFrameworkCore;

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
        o.UseNpgsql(connectionString).UseModel(CompiledModels.Postgres.PostgresKilnDbModel.Instance);
}
