using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Kiln.Server.Data;

/// <summary>
/// Lets SQLite itself wait for the write lock (<c>sqlite3_busy_timeout</c>, the connection's <c>Default Timeout</c>)
/// on every connection Kiln opens. Without it Microsoft.Data.Sqlite retries a busy statement after a fixed 150 ms
/// sleep, so two writers meeting (a job's claim and a submit, say) cost one of them 150 ms; SQLite's own handler
/// retries after 1, 2, 5, 10 ms and so on (docs/benchmarks.md#async-throughput-issue-17).
/// </summary>
public sealed class SqliteBusyTimeout : DbConnectionInterceptor
{
    public static readonly SqliteBusyTimeout Instance = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle } sqlite)
            SQLitePCL.raw.sqlite3_busy_timeout(handle, sqlite.DefaultTimeout * 1000);
    }
}
