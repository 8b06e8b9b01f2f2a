using System.Net.Sockets;
using Amazon.Runtime;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Kiln.Server.Core;

/// <summary>
/// Tells a passing outage (the database is down or busy, the disk is full, object storage does not answer) from a
/// bug, and answers the outage with 503 + <c>Retry-After</c> in the documented error shape: the OAuth body on
/// <c>/ims/*</c>, the gateway body elsewhere. Kiln itself stays up and recovers when the fault clears, since every
/// request opens its own connection and every background service retries.
/// </summary>
public static class Outages
{
    public const int RetryAfterSeconds = 5;

    // errno values on Linux (IOException.HResult carries the raw errno there) and HRESULTs on Windows.
    private const int Enospc = 28, Edquot = 122, Eio = 5;
    private const int WinDiskFull = unchecked((int)0x80070070), WinHandleDiskFull = unchecked((int)0x80070027);

    // SQLite primary result codes: BUSY, LOCKED, IOERR, FULL, CANTOPEN.
    private static readonly int[] SqliteOutageCodes = [5, 6, 10, 13, 14];

    /// <summary>True when <paramref name="error"/> (or anything it wraps) is an outage rather than a bug.</summary>
    public static bool IsOutage(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is AggregateException agg) return agg.InnerExceptions.Any(IsOutage);
            if (IsOutageItself(e)) return true;
        }
        return false;
    }

    /// <summary>True when the disk is full (ENOSPC, EDQUOT, SQLITE_FULL, PostgreSQL disk_full) anywhere in the chain.</summary>
    public static bool IsDiskFull(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            if (e is IOException { HResult: Enospc or Edquot or WinDiskFull or WinHandleDiskFull }
                || e is SqliteException { SqliteErrorCode: 13 }
                || e is PostgresException { SqlState: "53100" })
                return true;
        return false;
    }

    private static bool IsOutageItself(Exception e) => e switch
    {
        // Class 08 connection, 53 insufficient resources, 57P0x shutting down / cannot connect now, 58 system error.
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal)
                                || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) || pg.SqlState.StartsWith("58", StringComparison.Ordinal),
        NpgsqlException => true, // not a PostgresException: the server could not be reached or the connection broke
        SqliteException s => SqliteOutageCodes.Contains(s.SqliteErrorCode & 0xFF),
        IOException io => io.HResult is Enospc or Edquot or Eio or WinDiskFull or WinHandleDiskFull,
        SocketException => true,
        AmazonServiceException s3 => (int)s3.StatusCode >= 500, // unreachable endpoints surface as a SocketException inside
        _ => false,
    };

    /// <summary>Writes the 503 for a request that failed on an outage, in the failed endpoint's error dialect.</summary>
    public static Task WriteAsync(HttpContext ctx, Exception error)
    {
        var message = IsDiskFull(error)
            ? "Kiln's storage is full; retry later"
            : "Kiln's database or storage is unavailable; retry later";
        ctx.RequestServices.GetService<KilnMetrics>()?.Outage(KindOf(error));
        ctx.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var dialect = ErrorDialects.Of(ctx);
        return dialect == ErrorDialect.OAuth
            ? OAuthErrors.Error(ctx, "temporarily_unavailable", message, 503).ExecuteAsync(ctx)
            : ApiErrors.Error(503, ErrorCode(dialect), message).ExecuteAsync(ctx);
    }

    /// <summary>The label of an outage in the metrics: <c>disk_full</c>, <c>database</c> or <c>storage</c>.</summary>
    public static string KindOf(Exception error)
    {
        if (IsDiskFull(error)) return "disk_full";
        for (var e = error; e is not null; e = e.InnerException)
            if (e is NpgsqlException or SqliteException) return "database";
        return "storage";
    }

    /// <summary>
    /// The <c>error_code</c> of an outage's 503 (docs/firefly.md#errors): Firefly's sync calls and uploads know only
    /// <c>model_not_loaded</c> for 503, its async calls (submit, status, cancel) only their enum, of which
    /// <c>runtime_error</c> is the fitting value; Kiln's own routes say <c>service_unavailable</c>.
    /// </summary>
    public static string ErrorCode(ErrorDialect dialect) => dialect switch
    {
        ErrorDialect.Firefly => "model_not_loaded",
        ErrorDialect.FireflyJobs => "runtime_error",
        _ => "service_unavailable",
    };
}
