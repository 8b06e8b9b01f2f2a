using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Kiln.Server.Data;

/// <summary>Lets <c>dotnet ef migrations add</c> build each provider's context without starting the host.</summary>
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteKilnDb>
{
    public SqliteKilnDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteKilnDb>().UseSqlite("Data Source=design-time.db").Options);
}
