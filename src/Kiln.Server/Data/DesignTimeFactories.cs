using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Kiln.Server.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build each provider's context without starting the host.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteKilnDb>
{
    public SqliteKilnDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteKilnDb>().UseSqlite("Data Source=design-time.db").Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresKilnDb>
{
    public PostgresKilnDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresKilnDb>().UseNpgsql("Host=127.0.0.1;Database=kiln_design_time").Options);
}
