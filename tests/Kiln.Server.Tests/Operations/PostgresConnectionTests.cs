using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Kiln.Server.Tests.Operations;

/// <summary>
/// The Npgsql settings Kiln turns on for its contexts unless the connection string sets them (docs/configuration.md):
/// no reset of a connection that goes back to the pool, and statements prepared automatically.
/// </summary>
public sealed class PostgresConnectionTests
{
    [Fact]
    public void A_plain_connection_string_gets_kilns_defaults_and_keeps_everything_else()
    {
        var tuned = new NpgsqlConnectionStringBuilder(KilnDbOptions.WithKilnDefaults("Host=db.internal;Port=6543;Username=kiln;Password=s3cret;Database=kiln"));
        Assert.True(tuned.NoResetOnClose);
        Assert.Equal(32, tuned.MaxAutoPrepare);
        Assert.Equal(("db.internal", 6543, "kiln", "s3cret", "kiln"), (tuned.Host, tuned.Port, tuned.Username, tuned.Password, tuned.Database));
    }

    [Theory]
    [InlineData("Host=h;Database=d;No Reset On Close=false;Max Auto Prepare=0")]
    [InlineData("Host=h;Database=d;noresetonclose=False;MAXAUTOPREPARE=0")]
    public void Settings_the_operator_chose_win(string connectionString)
    {
        var tuned = new NpgsqlConnectionStringBuilder(KilnDbOptions.WithKilnDefaults(connectionString));
        Assert.False(tuned.NoResetOnClose);
        Assert.Equal(0, tuned.MaxAutoPrepare);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Host=h;Database=d;Frobnicate=yes")]
    [InlineData("not a connection string")]
    public void A_string_npgsql_would_reject_is_passed_on_unchanged(string? connectionString) =>
        Assert.Equal(connectionString, KilnDbOptions.WithKilnDefaults(connectionString));

    [Fact]
    public void The_contexts_options_use_the_tuned_string()
    {
        using var db = new PostgresKilnDb((DbContextOptions<PostgresKilnDb>)KilnDbOptions.Postgres(new DbContextOptionsBuilder<PostgresKilnDb>(), "Host=h;Database=d").Options);
        var used = new NpgsqlConnectionStringBuilder(db.Database.GetConnectionString());
        Assert.True(used.NoResetOnClose);
        Assert.Equal(32, used.MaxAutoPrepare);
    }
}
