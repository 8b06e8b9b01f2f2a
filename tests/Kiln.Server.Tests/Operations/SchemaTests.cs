using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Kiln.Server.Tests.Operations;

/// <summary>
/// <see cref="Schema.MigrateAsync"/>'s quick check (docs/benchmarks.md#start-up): a database at the newest migration
/// is left alone, and one that lacks any later migration gets exactly those, on both providers.
/// </summary>
public sealed class SchemaTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-schema-").FullName;

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        TestDatabase.Drop(_dir);
    }

    private KilnDb OpenDb() => TestDatabase.ConnectionFor(_dir) is { } pg
        ? new PostgresKilnDb((DbContextOptions<PostgresKilnDb>)KilnDbOptions.Postgres(new DbContextOptionsBuilder<PostgresKilnDb>(), pg).Options)
        : new SqliteKilnDb((DbContextOptions<SqliteKilnDb>)KilnDbOptions.Sqlite(new DbContextOptionsBuilder<SqliteKilnDb>(), _dir).Options);

    [Fact]
    public async Task A_new_database_gets_every_migration_and_a_current_one_none()
    {
        await using var db = OpenDb();
        var all = db.Database.GetMigrations().ToList();
        Assert.Equal(all, await Schema.MigrateAsync(db, CancellationToken.None));
        Assert.Empty(await Schema.MigrateAsync(db, CancellationToken.None));
        Assert.Equal(all, await db.Database.GetAppliedMigrationsAsync());
    }

    [Fact]
    public async Task A_connection_the_caller_opened_stays_open()
    {
        await using var db = OpenDb();
        await Schema.MigrateAsync(db, CancellationToken.None);
        await db.Database.OpenConnectionAsync();
        Assert.Empty(await Schema.MigrateAsync(db, CancellationToken.None));
        Assert.Equal(System.Data.ConnectionState.Open, db.Database.GetDbConnection().State);
        await db.Database.CloseConnectionAsync();
    }

    [Fact]
    public async Task A_database_two_migrations_behind_gets_exactly_those_two()
    {
        await using var db = OpenDb();
        var all = db.Database.GetMigrations().ToList();
        Assert.True(all.Count >= 3, "the test needs three migrations");
        await db.GetService<IMigrator>().MigrateAsync(all[^3]);
        Assert.Equal(all[^2..], await Schema.MigrateAsync(db, CancellationToken.None));
        Assert.Equal(all, await db.Database.GetAppliedMigrationsAsync());
        Assert.Empty(await Schema.MigrateAsync(db, CancellationToken.None));
    }
}
