using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Kiln.Server.Core;

/// <summary>
/// Transactions that serialise the writers of one org or credential, so that a rule checked by counting (the secret
/// limit, the last secret, the last admin, unique names) is counted and acted on as one step: on one node and on
/// several nodes sharing the database. SQLite: Microsoft.Data.Sqlite begins every transaction IMMEDIATE, which takes
/// the database's write lock at once. PostgreSQL: the row is locked <c>FOR UPDATE</c> until commit.
/// Count and act inside the transaction, then commit.
/// </summary>
public static class RowLocks
{
    public static async Task<IDbContextTransaction> LockOrgAsync(this KilnDb db, long orgId, CancellationToken ct)
    {
        var tx = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM \"Orgs\" WHERE \"Id\" = {orgId} FOR UPDATE", ct);
        return tx;
    }

    /// <summary>
    /// Holds the org's row inside the caller's open transaction until it commits: <c>FOR UPDATE</c> on PostgreSQL; on
    /// SQLite the transaction already holds the write lock. For steps that join a transaction someone else began.
    /// </summary>
    public static async Task HoldOrgAsync(this KilnDb db, long orgId, CancellationToken ct)
    {
        if (db.Database.IsNpgsql())
            await db.Database.ExecuteSqlInterpolatedAsync($"SELECT 1 FROM \"Orgs\" WHERE \"Id\" = {orgId} FOR UPDATE", ct);
    }

    /// <summary>
    /// Serialises the starts of device authorizations (the cap on stored codes is counted and acted on as one step):
    /// a transaction-scoped advisory lock on PostgreSQL, the write lock on SQLite.
    /// </summary>
    public static async Task<IDbContextTransaction> LockDeviceCodesAsync(this KilnDb db, CancellationToken ct)
    {
        var tx = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsNpgsql()) await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(8628)", ct);
        return tx;
    }

    /// <summary>Locks the credentials in id order (so that two callers locking overlapping sets cannot deadlock).</summary>
    public static async Task<IDbContextTransaction> LockCredentialsAsync(this KilnDb db, IReadOnlyCollection<long> credentialIds, CancellationToken ct)
    {
        var tx = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsNpgsql())
        {
            var ids = credentialIds.Order().ToArray();
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"SELECT 1 FROM \"Credentials\" WHERE \"Id\" = ANY({ids}) ORDER BY \"Id\" FOR UPDATE", ct);
        }
        return tx;
    }
}
