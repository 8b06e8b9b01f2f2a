using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Quotas;

/// <summary>
/// The one owner of image quotas and usage metering (docs/firefly.md#quotas-and-usage). A request reserves its images
/// (numVariations) before any work: inside one transaction that holds the org's row (<see cref="RowLocks"/>: the
/// write lock on SQLite, <c>FOR UPDATE</c> on PostgreSQL) it reads the window counters of the org, project and
/// credential, refuses when any would go over its limit, and otherwise increments them and the day's usage. So the
/// limits hold exactly on one node and on several sharing the database. A request that then fails, or a job that
/// fails or is canceled, releases its images (counters and usage go back down, in one transaction); a success keeps
/// them. An async job keeps its reservation on its own row (<see cref="Job.HeldKeys"/>, written with the job), which a
/// release or a commit clears, so a job's images are given back at most once.
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

    /// <summary>
    /// Keeps an async job's reservation on the job, before the job is inserted (in the submit's transaction, which holds
    /// the org's row): who it is metered to, and the counters, images and day to give back if it fails.
    /// </summary>
    public static void Hold(Job job, Reservation r)
    {
        (job.ProjectId, job.CredentialId) = (r.Who.ProjectId, r.Who.CredentialId);
        (job.HeldKeys, job.HeldImages, job.HeldDay) = (string.Join(';', r.Keys), r.Images, r.Day);
    }

    /// <summary>A job succeeded: its images stay counted. Added to the update that marks it succeeded.</summary>
    public static void Commit(UpdateSettersBuilder<Job> u) => Clear(u);

    private static void Clear(UpdateSettersBuilder<Job> u) =>
        u.SetProperty(j => j.HeldKeys, (string?)null).SetProperty(j => j.HeldImages, 0).SetProperty(j => j.HeldDay, (DateOnly?)null);

    /// <summary>
    /// A job failed or was canceled: gives its images back, in the caller's transaction (with the job's new status).
    /// False when there was nothing to give back (none held, or another release won).
    /// </summary>
    public async Task<bool> ReleaseJobAsync(KilnDb db, string jobId)
    {
        var held = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId && j.HeldKeys != null, CancellationToken.None);
        if (held is null) return false;
        await db.HoldOrgAsync(held.OrgId, CancellationToken.None);
        if (await db.Jobs.Where(j => j.Id == jobId && j.HeldKeys != null).ExecuteUpdateAsync(Clear, CancellationToken.None) != 1) return false;
        // A job that holds images has its engine: the submit sets both.
        var who = MeteredOf(held, held.Engine ?? "");
        await UndoAsync(db, new Reservation(who, held.HeldImages, held.HeldDay ?? default, held.HeldKeys!.Split(';', StringSplitOptions.RemoveEmptyEntries)));
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
    /// Who a job is metered to: the org, project, credential and operation it was submitted with, and
    /// <paramref name="engine"/> (its own; a job older than quotas is metered to its org alone).
    /// </summary>
    public static Metered MeteredOf(Job job, string engine) => new(job.OrgId, job.ProjectId, job.CredentialId, job.Operation, engine);

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
