using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace Kiln.Server.Data;

/// <summary>
/// The one way Kiln brings a database to the current schema: <c>kiln serve</c> at start, <c>kiln admin migrate</c> and
/// the other admin commands (docs/operations.md#starting-the-nodes).
/// </summary>
public static class Schema
{
    /// <summary>
    /// Applies the pending migrations and returns their ids (none: the database was up to date). Only the history
    /// table is read when nothing is pending: <c>Migrate</c> also diffs the model against the last snapshot
    /// (docs/benchmarks.md#start-up). On PostgreSQL the database and the history table are made first: the provider
    /// finds both missing by running a command and catching its error, which EF Core logs as an error.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(KilnDb db, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
        {
            if (!await PostgresDatabaseExistsAsync(db, ct)) await db.GetService<IRelationalDatabaseCreator>().CreateAsync(ct);
            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(ct);
        }
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        if (pending.Count > 0) await db.Database.MigrateAsync(ct);
        return pending;
    }

    /// <summary>Opens the context's connection itself (not through EF Core, which would log the refusal as an error).</summary>
    private static async Task<bool> PostgresDatabaseExistsAsync(KilnDb db, CancellationToken ct)
    {
        var connection = db.Database.GetDbConnection();
        try
        {
            await connection.OpenAsync(ct);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidCatalogName)
        {
            return false;
        }
        finally
        {
            await connection.CloseAsync();
        }
    }
}
