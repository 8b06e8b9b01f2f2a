using Kiln.Server.Data;
using Kiln.Server.Data.CompiledModels.Postgres;
using Kiln.Server.Data.CompiledModels.Sqlite;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Conventions;

/// <summary>
/// The compiled models (docs/architecture.md#compiled-models) are generated source: a change to the entity configuration
/// that is not followed by <c>tools/ef-regen.sh</c> leaves them describing the old schema, and EF Core would not notice.
/// Each provider's compiled model is compared with the model EF Core builds from <c>OnModelCreating</c> (the design-time
/// model, which ignores the compiled one): entity types, tables, columns, store types, converters, keys, foreign keys and
/// indexes. Neither test needs a database, so both providers are checked on every pass.
/// </summary>
public sealed class CompiledModelTests
{
    [Fact]
    public void Sqlite_compiled_model_matches_the_entity_configuration()
    {
        using var db = new SqliteKilnDb(new DbContextOptionsBuilder<SqliteKilnDb>()
            .UseSqlite("Data Source=:memory:").UseModel(SqliteKilnDbModel.Instance).Options);
        AssertCurrent(db);
    }

    [Fact]
    public void Postgres_compiled_model_matches_the_entity_configuration()
    {
        using var db = new PostgresKilnDb(new DbContextOptionsBuilder<PostgresKilnDb>()
            .UseNpgsql("Host=127.0.0.1;Database=kiln_model_only").UseModel(PostgresKilnDbModel.Instance).Options);
        AssertCurrent(db);
    }

    [Fact]
    public async Task The_server_runs_on_its_providers_compiled_model()
    {
        await using var kiln = new KilnFactory();
        kiln.Start();
        using var scope = kiln.Services.CreateScope();
        var model = scope.ServiceProvider.GetRequiredService<KilnDb>().Model;
        Assert.IsType(TestDatabase.IsPostgres ? typeof(PostgresKilnDbModel) : typeof(SqliteKilnDbModel), model);
    }

    private static void AssertCurrent(KilnDb db)
    {
        var compiled = Describe(db.Model);
        var configured = Describe(db.GetService<IDesignTimeModel>().Model);
        // Two different models, or the comparison proves nothing: the design-time one is built from OnModelCreating.
        Assert.IsAssignableFrom<RuntimeModel>(db.Model);
        Assert.False(db.GetService<IDesignTimeModel>().Model is RuntimeModel, "the design-time model should be built from the configuration");
        var onlyConfigured = configured.Except(compiled).ToList();
        var onlyCompiled = compiled.Except(configured).ToList();
        Assert.True(onlyConfigured.Count == 0 && onlyCompiled.Count == 0,
            $"The compiled model of {db.GetType().Name} is stale: run tools/ef-regen.sh and commit src/Kiln.Server/Data/CompiledModels.\n"
            + "In the entity configuration only:\n  " + string.Join("\n  ", onlyConfigured)
            + "\nIn the compiled model only:\n  " + string.Join("\n  ", onlyCompiled));
    }

    /// <summary>One line per fact of the model that the runtime or the database schema depends on.</summary>
    private static HashSet<string> Describe(IModel model)
    {
        var facts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in model.GetEntityTypes())
        {
            var table = StoreObjectIdentifier.Create(e, StoreObjectType.Table);
            facts.Add($"{e.Name}: table {e.GetSchema()}.{e.GetTableName()}, base {e.BaseType?.Name}, owned {e.IsOwned()}");
            foreach (var p in e.GetProperties())
            {
                var mapping = p.FindTypeMapping() as RelationalTypeMapping;
                facts.Add($"{e.Name}.{p.Name}: {p.ClrType}, column {(table is { } t ? p.GetColumnName(t) : p.GetColumnName())}, "
                    + $"store {mapping?.StoreType}, converter {(p.GetValueConverter() ?? mapping?.Converter)?.GetType()}, nullable {p.IsNullable}, "
                    + $"max {p.GetMaxLength()}, precision {p.GetPrecision()}/{p.GetScale()}, unicode {p.IsUnicode()}, generated {p.ValueGenerated}, "
                    + $"concurrency {p.IsConcurrencyToken}, shadow {p.IsShadowProperty()}");
            }
            foreach (var k in e.GetKeys())
                facts.Add($"{e.Name} key {Names(k.Properties)}{(k.IsPrimaryKey() ? " primary" : "")} {k.GetName()}");
            foreach (var fk in e.GetForeignKeys())
                facts.Add($"{e.Name} foreign key {Names(fk.Properties)} -> {fk.PrincipalEntityType.Name}{Names(fk.PrincipalKey.Properties)}, "
                    + $"{fk.DeleteBehavior}, unique {fk.IsUnique}, required {fk.IsRequired}, {fk.GetConstraintName()}, "
                    + $"navigations {fk.DependentToPrincipal?.Name}/{fk.PrincipalToDependent?.Name}");
            foreach (var i in e.GetIndexes())
                facts.Add($"{e.Name} index {Names(i.Properties)}, unique {i.IsUnique}, {i.GetDatabaseName()}, filter {i.GetFilter()}");
        }
        return facts;
    }

    private static string Names(IEnumerable<IReadOnlyProperty> properties) => "(" + string.Join(", ", properties.Select(p => p.Name)) + ")";
}
