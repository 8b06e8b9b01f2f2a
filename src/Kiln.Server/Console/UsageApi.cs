using System.Globalization;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Quotas;
using Microsoft.AspNetCore.Http.HttpResults;
using J = System.Text.Json.Serialization.JsonPropertyNameAttribute;

namespace Kiln.Server.Console;

public sealed record UsageCountsDto([property: J("requests")] long Requests, [property: J("images")] long Images,
    [property: J("quota_refusals")] long QuotaRefusals, [property: J("upstream_rate_limited")] long UpstreamRateLimited);

/// <summary>One group: the dimensions grouped by are set, the others null.</summary>
public sealed record UsageRowDto([property: J("day")] string? Day, [property: J("project_id")] string? ProjectId,
    [property: J("credential_id")] string? CredentialId, [property: J("operation")] string? Operation, [property: J("engine")] string? Engine,
    [property: J("requests")] long Requests, [property: J("images")] long Images,
    [property: J("quota_refusals")] long QuotaRefusals, [property: J("upstream_rate_limited")] long UpstreamRateLimited);

public sealed record UsageDto([property: J("from")] string From, [property: J("to")] string To, [property: J("group_by")] IReadOnlyList<string> GroupBy,
    [property: J("totals")] UsageCountsDto Totals, [property: J("rows")] IReadOnlyList<UsageRowDto> Rows);

/// <summary>
/// Image usage (a Kiln extension; docs/console.md#quotas-and-usage) of an org or one of its projects, for admins and
/// developers: <c>?from=YYYY-MM-DD&amp;to=YYYY-MM-DD&amp;groupBy=day,project,credential,operation,engine</c> (UTC days; default
/// the current month up to today, grouped by day). The org's route also filters by <c>projectId</c> and <c>credentialId</c>.
/// </summary>
public static class UsageApi
{
    public static RouteGroupBuilder MapUsage(this RouteGroupBuilder console)
    {
        console.MapGet("/organizations/{orgId}/usage", OrgAsync).WithName("GetOrgUsage");
        console.MapGet("/organizations/{orgId}/projects/{projectId}/usage", ProjectAsync).WithName("GetProjectUsage");
        return console;
    }

    public static async Task<Results<Ok<UsageDto>, JsonHttpResult<ApiError>>> OrgAsync(
        string orgId, string? from, string? to, string? groupBy, string? projectId, string? credentialId,
        ImsCaller caller, OrgAccess access, KilnDb db, TimeProvider clock, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        long? p = null, c = null;
        if (projectId is not null) p = Ids.TryParseId(projectId, out var pid) ? pid : -1;
        if (credentialId is not null) c = Ids.TryParseId(credentialId, out var cid) ? cid : -1;
        if (p == -1 || c == -1) return ApiErrors.BadRequest("projectId and credentialId must be ids");
        return await AnswerAsync(db, org.OrgId, from, to, groupBy, p, c, clock, ct);
    }

    public static async Task<Results<Ok<UsageDto>, JsonHttpResult<ApiError>>> ProjectAsync(
        string orgId, string projectId, string? from, string? to, string? groupBy, ImsCaller caller, OrgAccess access, KilnDb db, TimeProvider clock,
        CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (await QuotasApi.TargetAsync(db, org.OrgId, QuotaScopes.Project, projectId, ct) is not { } id) return ApiErrors.NotFound("Project Not Found");
        return await AnswerAsync(db, org.OrgId, from, to, groupBy, id, null, clock, ct);
    }

    private static async Task<Results<Ok<UsageDto>, JsonHttpResult<ApiError>>> AnswerAsync(
        KilnDb db, long orgId, string? from, string? to, string? groupBy, long? projectId, long? credentialId, TimeProvider clock, CancellationToken ct)
    {
        var (query, problem) = Parse(orgId, from, to, groupBy, projectId, credentialId, clock);
        if (query is null) return ApiErrors.BadRequest(problem!);
        return TypedResults.Ok(await QueryAsync(db, query, ct));
    }

    /// <summary>The same sums as the REST answer (the usage page shows these).</summary>
    public static async Task<UsageDto> QueryAsync(KilnDb db, UsageQuery query, CancellationToken ct)
    {
        var rows = await UsageReport.QueryAsync(db, query, ct);
        var t = UsageReport.Total(rows);
        return new UsageDto(DayText(query.From), DayText(query.To), query.GroupBy, new UsageCountsDto(t.Requests, t.Images, t.QuotaRefusals, t.UpstreamRateLimited),
            rows.Select(r => new UsageRowDto(r.Day is { } d ? DayText(d) : null, r.ProjectId is { } p ? ConsoleJson.Str(p) : null,
                r.CredentialId is { } c ? ConsoleJson.Str(c) : null, r.Operation, r.Engine, r.Requests, r.Images, r.QuotaRefusals, r.UpstreamRateLimited)).ToList());
    }

    /// <summary>Reads the range and grouping: a query, or the reason it is a 400.</summary>
    public static (UsageQuery? Query, string? Problem) Parse(long orgId, string? from, string? to, string? groupBy, long? projectId, long? credentialId, TimeProvider clock)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        DateOnly f = new(today.Year, today.Month, 1), t = today;
        if (!string.IsNullOrEmpty(from) && !TryDay(from, out f)) return (null, "from must be a date (YYYY-MM-DD)");
        if (!string.IsNullOrEmpty(to) && !TryDay(to, out t)) return (null, "to must be a date (YYYY-MM-DD)");
        if (t < f) return (null, "to must not be before from");
        if (t.DayNumber - f.DayNumber >= UsageReport.MaxDays) return (null, $"the range may cover at most {UsageReport.MaxDays} days");
        var by = string.IsNullOrWhiteSpace(groupBy) ? new List<string> { UsageReport.Day }
            : groupBy.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).Distinct().ToList();
        if (by.FirstOrDefault(d => !UsageReport.Dimensions.Contains(d)) is { } unknown)
            return (null, $"groupBy: '{unknown}' is not one of {string.Join(", ", UsageReport.Dimensions)}");
        return (new UsageQuery(orgId, f, t, UsageReport.Dimensions.Where(by.Contains).ToList(), projectId, credentialId), null);
    }

    public static string DayText(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static bool TryDay(string s, out DateOnly day) => DateOnly.TryParseExact(s.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
}
