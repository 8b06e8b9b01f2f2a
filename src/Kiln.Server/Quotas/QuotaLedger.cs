using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Quotas;

/// <summary>
/// The one owner of image quotas and usage metering (docs/firefly.md#quotas-and-usage). A request reserves its images
/// (numVariations) before any work: inside one transaction that holds the org's row (<see cref="RowLocks"/>: the
/// write lock on SQLite, <c>FOR UPDATE</c> on PostgreSQL) it reads the window counters of the org, project and
/// credential, refuses when any would go over its limit, and otherwise increments them and the day's usage. So the
/// limits hold exactly on one node and on several sharing the database. A request that then fails, or a job that
/// fails or is canceled, releases its images (counters and usage go back down, in one transaction); a success keeps
/// them. Async jobs keep their reservation in a <see cref="QuotaHold"/> row, which a release or a commit deletes, so a
/// job's images are given back at most once.
/// </summary>
public sealed class QuotaLedger(IServiceScopeFactory scopes, TimeProvider clock, IOptions<QuotaOptions> options, ILogger<QuotaLedger> log)
{
    /// <summary>Reserves in a transaction of its own that holds the org's row.</summary>
    public async Task<QuotaDecision> ReserveAsync(KilnDb db, Metered who, int images, CancellationToken ct)
    {
        await using var tx = await db.LockOrgAsync(who.OrgId, ct);
        var decision = await ReserveLockedAsync(db, who, images, ct);
        await tx.CommitAsync(ct);
        return decision;
    }

    /// <summary>
    /// Reserves inside the caller's transaction, which must hold the org's row (<see cref="RowLocks.LockOrgAsync"/>) and
    /// is committed by the caller (an async submit inserts its job in the same one). A refusal is counted in the day's
    /// <see cref="UsageDay.QuotaRefusals"/>.
    /// </summary>
    public async Task<QuotaDecision> ReserveLockedAsync(KilnDb db, Metered who, int images, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var day = DateOnly.FromDateTime(now.UtcDateTime);
        // Every window of every level is counted, limited or not, so "used" is right and a limit set later starts from the truth.
        var windows = who.Scopes().SelectMany(s => Enum.GetValues<QuotaWindow>().Select(w => (s.Scope, s.Id, Window: w))).ToList();
        var keys = windows.Select(x => QuotaWindows.Key(x.Scope, x.Id, x.Window, now)).ToList();
        var limits = await LimitsAsync(db, who, ct);
        var used = await db.QuotaCounters.AsNoTracking().Where(c => keys.Contains(c.Key)).ToDictionaryAsync(c => c.Key, c => c.Count, ct);
        QuotaRefusal? refusal = null;
        foreach (var l in limits)
        {
            if (refusal is { NeverFits: true }) break;
            var key = QuotaWindows.Key(l.Scope, l.Id, l.Window, now);
            if (images > l.Limit) refusal = new QuotaRefusal(l.Scope, l.Window, l.Limit, 0, NeverFits: true);
            else if (used.GetValueOrDefault(key) + images > l.Limit && QuotaWindows.SecondsLeft(l.Window, now) is var wait && wait > (refusal?.RetryAfter ?? 0))
                refusal = new QuotaRefusal(l.Scope, l.Window, l.Limit, wait, NeverFits: false);
        }
        if (refusal is not null)
        {
            await AddUsageAsync(db, who, day, requests: 0, images: 0, refusals: 1, upstream: 0, ct);
            return new QuotaDecision(null, refusal);
        }
        // One upsert for every window (distinct keys, so PostgreSQL's one-change-per-row rule holds).
        var values = string.Join(", ", keys.Select((_, i) => $"({{{3 * i}}}, {{{3 * i + 1}}}, {{{3 * i + 2}}})"));
        var args = windows.SelectMany((w, i) => new object[] { keys[i], (long)images, QuotaWindows.End(w.Window, now).ToUnixTimeSeconds() + 3600 }).ToArray();
        // The statement's text holds only placeholders ({0}, {1}, ...): every value goes in as a parameter.
        var sql = "INSERT INTO \"QuotaCounters\" (\"Key\", \"Count\", \"ExpiresUnix\") VALUES " + values
            + " ON CONFLICT (\"Key\") DO UPDATE SET \"Count\" = \"QuotaCounters\".\"Count\" + excluded.\"Count\"";
        await db.Database.ExecuteSqlRawAsync(sql, args, ct);
        await AddUsageAsync(db, who, day, requests: 1, images: images, refusals: 0, upstream: 0, ct);
        return new QuotaDecision(new Reservation(who, images, day, keys), null);
    }

    /// <summary>Keeps an async job's reservation (in the submit's transaction) until the job ends.</summary>
    public async Task KeepAsync(KilnDb db, Reservation r, string jobId)
    {
        db.QuotaHolds.Add(new QuotaHold
        {
            JobId = jobId, OrgId = r.Who.OrgId, ProjectId = r.Who.ProjectId, CredentialId = r.Who.CredentialId, Operation = r.Who.Operation,
            Engine = r.Who.Engine, Images = r.Images, Day = r.Day, Keys = string.Join(';', r.Keys),
        });
        await db.SaveChangesAsync(CancellationToken.None);
    }

    /// <summary>A job succeeded: its images stay counted (in the caller's transaction, with the job's result).</summary>
    public Task CommitJobAsync(KilnDb db, string jobId) => db.QuotaHolds.Where(h => h.JobId == jobId).ExecuteDeleteAsync(CancellationToken.None);

    /// <summary>
    /// A job failed or was canceled: gives its images back, in the caller's transaction (with the job's new status).
    /// False when there was nothing to give back (no hold, or another release won).
    /// </summary>
    public async Task<bool> ReleaseJobAsync(KilnDb db, string jobId)
    {
        var hold = await db.QuotaHolds.AsNoTracking().FirstOrDefaultAsync(h => h.JobId == jobId, CancellationToken.None);
        if (hold is null) return false;
        await db.HoldOrgAsync(hold.OrgId, CancellationToken.None);
        if (await db.QuotaHolds.Where(h => h.JobId == jobId).ExecuteDeleteAsync(CancellationToken.None) != 1) return false;
        var who = new Metered(hold.OrgId, hold.ProjectId, hold.CredentialId, hold.Operation, hold.Engine);
        await UndoAsync(db, new Reservation(who, hold.Images, hold.Day, hold.Keys.Split(';', StringSplitOptions.RemoveEmptyEntries)));
        return true;
    }

    /// <summary>
    /// A sync request failed after its reservation: gives its images back in a transaction of its own. When the
    /// database cannot be reached the images stay counted (the strict side) and the failure is logged.
    /// </summary>
    public async Task ReleaseAsync(Reservation r)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            await using var tx = await db.LockOrgAsync(r.Who.OrgId, CancellationToken.None);
            await UndoAsync(db, r);
            await tx.CommitAsync(CancellationToken.None);
        }
        catch (Exception e) when (Outages.IsOutage(e))
        {
            log.LogWarning("Could not give back {Images} image(s) of org {OrgId} ({Error}); they stay counted", r.Images, r.Who.OrgId, e.GetBaseException().Message);
        }
    }

    /// <summary>
    /// Who a running job is metered to: the org, project, credential, operation and engine its hold kept from the
    /// submit, else (a job older than quotas) its org alone.
    /// </summary>
    public async Task<Metered> MeteredJobAsync(Job job, string engine, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var hold = await db.QuotaHolds.AsNoTracking().FirstOrDefaultAsync(h => h.JobId == job.Id, ct);
        return hold is null ? new Metered(job.OrgId, 0, 0, job.Operation, engine)
            : new Metered(hold.OrgId, hold.ProjectId, hold.CredentialId, hold.Operation, hold.Engine);
    }

    /// <summary>
    /// Counts one 429 of an upstream (docs/upstream.md#quotas-and-usage) in <see cref="UsageDay.UpstreamRateLimited"/>. Its one
    /// caller is <c>UpstreamEngine</c>, for every 429 the upstream answers a sync request or a job (each retry's too). It
    /// does not give the request's images back; the request's own failure does that.
    /// </summary>
    public async Task CountUpstreamRateLimitedAsync(Metered who, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        await using var tx = await db.LockOrgAsync(who.OrgId, ct);
        await AddUsageAsync(db, who, DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime), requests: 0, images: 0, refusals: 0, upstream: 1, ct);
        await tx.CommitAsync(ct);
    }

    private async Task UndoAsync(KilnDb db, Reservation r)
    {
        var keys = r.Keys.ToList();
        long n = r.Images;
        if (keys.Count > 0)
            await db.QuotaCounters.Where(c => keys.Contains(c.Key)).ExecuteUpdateAsync(u => u.SetProperty(c => c.Count, c => c.Count - n), CancellationToken.None);
        await AddUsageAsync(db, r.Who, r.Day, requests: -1, images: -r.Images, refusals: 0, upstream: 0, CancellationToken.None);
    }

    private static Task<int> AddUsageAsync(KilnDb db, Metered who, DateOnly day, long requests, long images, long refusals, long upstream, CancellationToken ct) =>
        db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO "UsageDays" ("OrgId", "Day", "ProjectId", "CredentialId", "Operation", "Engine", "Requests", "Images", "QuotaRefusals", "UpstreamRateLimited")
            VALUES ({who.OrgId}, {day}, {who.ProjectId}, {who.CredentialId}, {who.Operation}, {who.Engine}, {requests}, {images}, {refusals}, {upstream})
            ON CONFLICT ("OrgId", "Day", "ProjectId", "CredentialId", "Operation", "Engine") DO UPDATE SET
                "Requests" = "UsageDays"."Requests" + excluded."Requests", "Images" = "UsageDays"."Images" + excluded."Images",
                "QuotaRefusals" = "UsageDays"."QuotaRefusals" + excluded."QuotaRefusals",
                "UpstreamRateLimited" = "UsageDays"."UpstreamRateLimited" + excluded."UpstreamRateLimited"
            """, ct);

    private sealed record ScopeLimit(string Scope, long Id, QuotaWindow Window, int Limit);

    /// <summary>Every limit that applies to <paramref name="who"/>: each level's own value, else the configured default.</summary>
    private async Task<List<ScopeLimit>> LimitsAsync(KilnDb db, Metered who, CancellationToken ct)
    {
        var own = await QuotaSettings.OwnRowsAsync(db, who, ct);
        var limits = new List<ScopeLimit>();
        foreach (var (scope, id) in who.Scopes())
        {
            var values = (own.GetValueOrDefault((scope, id)) ?? QuotaValues.None).Over(options.Value.For(scope).AsValues());
            foreach (var (window, limit) in values.Each())
                if (limit is { } l) limits.Add(new ScopeLimit(scope, id, window, l));
        }
        return limits;
    }
}
