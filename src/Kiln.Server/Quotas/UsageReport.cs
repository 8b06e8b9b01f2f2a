using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Quotas;

/// <summary>What to sum: an org's days <c>From</c>..<c>To</c> (inclusive), optionally one project or credential, grouped by <c>GroupBy</c>.</summary>
public sealed record UsageQuery(long OrgId, DateOnly From, DateOnly To, IReadOnlyList<string> GroupBy, long? ProjectId = null, long? CredentialId = null);

/// <summary>One group's sums; the dimensions that are not grouped by are null.</summary>
public sealed record UsageRow(DateOnly? Day, long? ProjectId, long? CredentialId, string? Operation, string? Engine,
    long Requests, long Images, long QuotaRefusals, long UpstreamRateLimited);

/// <summary>Usage sums for the Console REST API, the usage page and <c>kiln usage</c> (docs/firefly.md#quotas-and-usage).</summary>
public static class UsageReport
{
    public const string Day = "day", Project = "project", Credential = "credential", Operation = "operation", Engine = "engine";
    public static readonly string[] Dimensions = [Day, Project, Credential, Operation, Engine];

    /// <summary>The longest range one query may cover.</summary>
    public const int MaxDays = 366;

    public static async Task<List<UsageRow>> QueryAsync(KilnDb db, UsageQuery q, CancellationToken ct)
    {
        var rows = db.UsageDays.AsNoTracking().Where(u => u.OrgId == q.OrgId && u.Day >= q.From && u.Day <= q.To);
        if (q.ProjectId is { } p) rows = rows.Where(u => u.ProjectId == p);
        if (q.CredentialId is { } c) rows = rows.Where(u => u.CredentialId == c);
        var by = q.GroupBy.ToHashSet(StringComparer.Ordinal);
        return (await rows.ToListAsync(ct))
            .GroupBy(u => new UsageRow(by.Contains(Day) ? u.Day : null, by.Contains(Project) ? u.ProjectId : null,
                by.Contains(Credential) ? u.CredentialId : null, by.Contains(Operation) ? u.Operation : null, by.Contains(Engine) ? u.Engine : null, 0, 0, 0, 0))
            .Select(g => g.Key with
            {
                Requests = g.Sum(u => u.Requests), Images = g.Sum(u => u.Images),
                QuotaRefusals = g.Sum(u => u.QuotaRefusals), UpstreamRateLimited = g.Sum(u => u.UpstreamRateLimited),
            })
            .Where(r => r.Requests != 0 || r.Images != 0 || r.QuotaRefusals != 0 || r.UpstreamRateLimited != 0)
            .OrderBy(r => r.Day).ThenBy(r => r.ProjectId).ThenBy(r => r.CredentialId).ThenBy(r => r.Operation, StringComparer.Ordinal).ThenBy(r => r.Engine, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Sums of every row.</summary>
    public static UsageRow Total(IEnumerable<UsageRow> rows)
    {
        var list = rows.ToList();
        return new UsageRow(null, null, null, null, null, list.Sum(r => r.Requests), list.Sum(r => r.Images), list.Sum(r => r.QuotaRefusals), list.Sum(r => r.UpstreamRateLimited));
    }
}
