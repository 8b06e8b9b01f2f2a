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
        if (await IsCurrentAsync(db, ct)) return [];
        if (db.Database.IsNpgsql())
        {
            if (!await PostgresDatabaseExistsAsync(db, ct)) await db.GetService<IRelationalDatabaseCreator>().CreateAsync(ct);
            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(ct);
        }
        var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
        if (pending.Count > 0) await db.Database.MigrateAsync(ct);
        return pending;
    }

    /// <summary>
    /// True when the history table's newest entry is the newest migration Kiln has: the usual start, read with one plain
    /// command on the context's connection. EF Core's own check runs its query pipeline, whose first compilation is most of
    /// the cost of this step (docs/benchmarks.md#start-up). Any failure (no database or history table yet) means "not
    /// known to be current", and the full check runs.
    /// </summary>
    private static async Task<bool> IsCurrentAsync(KilnDb db, CancellationToken ct)
    {
        var newest = db.GetService<IMigrationsAssembly>().Migrations.Keys.LastOrDefault();
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open; // a caller's open connection stays open
        try
        {
            if (opened) await connection.OpenAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = """SELECT MAX("MigrationId") FROM "__EFMigrationsHistory";""";
            return newest is not null && await command.ExecuteScalarAsync(ct) is string applied && applied == newest;
        }
        catch (System.Data.Common.DbException)
        {
            return false;
        }
        finally
        {
            if (opened) await connection.CloseAsync();
        }
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
