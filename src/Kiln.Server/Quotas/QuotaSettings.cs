using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Quotas;

/// <summary>Images counted so far in the current minute, day and month.</summary>
public sealed record QuotaUsed(long Minute, long Day, long Month);

/// <summary>One level's limits: its own values (null: the default), the effective ones, and what the current windows used.</summary>
public sealed record QuotaView(string Scope, long Id, QuotaValues Own, QuotaValues Effective, QuotaUsed Used);

/// <summary>
/// Reads and sets the limits of an org, project or credential (docs/firefly.md#quotas-and-usage). The Console REST API,
/// the web UI and the CLI (through REST) call it; the target is checked to be in the org by the caller.
/// </summary>
public sealed class QuotaSettings(TimeProvider clock, IOptions<QuotaOptions> options)
{
    /// <summary>The own limit rows of the levels of <paramref name="who"/>.</summary>
    internal static async Task<Dictionary<(string, long), QuotaValues>> OwnRowsAsync(KilnDb db, Metered who, CancellationToken ct)
    {
        var rows = await db.QuotaLimits.AsNoTracking()
            .Where(l => l.OrgId == who.OrgId && ((l.Scope == QuotaScopes.Org && l.TargetId == who.OrgId)
                || (l.Scope == QuotaScopes.Project && l.TargetId == who.ProjectId) || (l.Scope == QuotaScopes.Credential && l.TargetId == who.CredentialId)))
            .ToListAsync(ct);
        return rows.ToDictionary(l => (l.Scope, l.TargetId), l => new QuotaValues(l.PerMinute, l.PerDay, l.PerMonth));
    }

    public async Task<QuotaView> ViewAsync(KilnDb db, long orgId, string scope, long id, CancellationToken ct)
    {
        var row = await db.QuotaLimits.AsNoTracking().FirstOrDefaultAsync(l => l.Scope == scope && l.TargetId == id && l.OrgId == orgId, ct);
        return await ViewOfAsync(db, scope, id, row is null ? QuotaValues.None : new QuotaValues(row.PerMinute, row.PerDay, row.PerMonth), ct);
    }

    /// <summary>The org's own view, then every project and credential of the org that has limits of its own.</summary>
    public async Task<List<QuotaView>> ListAsync(KilnDb db, long orgId, CancellationToken ct)
    {
        var rows = await db.QuotaLimits.AsNoTracking().Where(l => l.OrgId == orgId).ToListAsync(ct);
        var list = new List<QuotaView> { await ViewAsync(db, orgId, QuotaScopes.Org, orgId, ct) };
        foreach (var r in rows.Where(r => r.Scope != QuotaScopes.Org).OrderBy(r => Array.IndexOf(QuotaScopes.All, r.Scope)).ThenBy(r => r.TargetId))
            list.Add(await ViewOfAsync(db, r.Scope, r.TargetId, new QuotaValues(r.PerMinute, r.PerDay, r.PerMonth), ct));
        return list;
    }

    /// <summary>Sets a level's own limits (all null: back to the defaults) and writes a <c>quota.set</c> audit record with it.</summary>
    public async Task<QuotaView> SetAsync(KilnDb db, Actor actor, long orgId, string scope, long id, QuotaValues values, CancellationToken ct)
    {
        await using (var tx = await db.LockOrgAsync(orgId, ct))
        {
            var row = await db.QuotaLimits.FirstOrDefaultAsync(l => l.Scope == scope && l.TargetId == id && l.OrgId == orgId, ct);
            if (values.IsEmpty)
            {
                if (row is not null) db.QuotaLimits.Remove(row);
            }
            else
            {
                if (row is null) db.QuotaLimits.Add(row = new QuotaLimit { Scope = scope, TargetId = id, OrgId = orgId });
                (row.PerMinute, row.PerDay, row.PerMonth) = (values.PerMinute, values.PerDay, values.PerMonth);
                (row.UpdatedAt, row.UpdatedBy) = (clock.GetUtcNow(), actor.Id);
            }
            actor.Audit(db, clock, await AboutAsync(db, orgId, scope, id, ct), "quota.set", $"{scope}:{id}", Describe(values));
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        return await ViewAsync(db, orgId, scope, id, ct);
    }

    /// <summary>A project's limit is about the project, a credential's about the credential's project; the org's about the org only.</summary>
    private static async Task<AuditScope> AboutAsync(KilnDb db, long orgId, string scope, long id, CancellationToken ct) => scope switch
    {
        QuotaScopes.Project => AuditScope.Project(orgId, id),
        QuotaScopes.Credential => new AuditScope(orgId,
            await db.Credentials.Where(c => c.Id == id && c.OrgId == orgId).Select(c => (long?)c.ProjectId).FirstOrDefaultAsync(ct)),
        _ => AuditScope.Org(orgId),
    };

    private static string Describe(QuotaValues v) => v.IsEmpty ? "defaults" :
        string.Join(", ", v.Each().Select(e => $"per {QuotaWindows.Name(e.Window)}: {(e.Limit is { } l ? l.ToString(System.Globalization.CultureInfo.InvariantCulture) : "default")}"));

    private async Task<QuotaView> ViewOfAsync(KilnDb db, string scope, long id, QuotaValues own, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var keys = Enum.GetValues<QuotaWindow>().Select(w => QuotaWindows.Key(scope, id, w, now)).ToList();
        var counts = await db.QuotaCounters.AsNoTracking().Where(c => keys.Contains(c.Key)).ToDictionaryAsync(c => c.Key, c => c.Count, ct);
        var used = new QuotaUsed(counts.GetValueOrDefault(keys[0]), counts.GetValueOrDefault(keys[1]), counts.GetValueOrDefault(keys[2]));
        return new QuotaView(scope, id, own, own.Over(options.Value.For(scope).AsValues()), used);
    }
}
