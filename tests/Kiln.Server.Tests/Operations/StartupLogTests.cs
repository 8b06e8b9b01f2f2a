using Kiln.Server.Tests.Infrastructure;
using Npgsql;

namespace Kiln.Server.Tests.Operations;

/// <summary>
/// A clean start logs nothing at Error or above (docs/operations.md#starting-the-nodes): an operator's alerting reads
/// <c>fail:</c> lines. The first start on an empty PostgreSQL database used to log EF Core's failed read of the
/// migrations history table, and on a database not made yet, the provider's failed connection to it.
/// </summary>
public sealed class StartupLogTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-startlog-").FullName;
    private string? _missing;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        TestDatabase.Drop(_dir);
        if (_missing is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var conn = new NpgsqlConnection(Environment.GetEnvironmentVariable("KILN_TEST_POSTGRES"));
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_missing} WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        Directory.Delete(_dir, true);
    }

    [Fact]
    public Task First_start_and_restart_on_an_empty_postgres_database_log_no_error() => StartTwiceAsync(TestDatabase.CreatePostgres(_dir));

    [Fact]
    public Task First_start_and_restart_on_a_postgres_database_not_made_yet_log_no_error()
    {
        _missing = "kiln_t_" + Guid.NewGuid().ToString("N")[..16];
        var database = new NpgsqlConnectionStringBuilder(Environment.GetEnvironmentVariable("KILN_TEST_POSTGRES")) { Database = _missing };
        return StartTwiceAsync(database.ConnectionString);
    }

    [Fact]
    public Task First_start_and_restart_on_the_suite_database_log_no_error() => StartTwiceAsync(null);

    private async Task StartTwiceAsync(string? database)
    {
        foreach (var start in new[] { "first start", "restart" })
        {
            await using var kiln = await KilnProcess.StartAsync(_dir, database: database);
            await kiln.StopAsync();
            var errors = kiln.Output.Split('\n').Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)).ToList();
            Assert.True(errors.Count == 0, $"{start}: {string.Join('\n', errors)}\n\n{kiln.Output}");
        }
    }
}
