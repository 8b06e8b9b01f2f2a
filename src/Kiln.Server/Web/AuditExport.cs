using System.Globalization;
using System.Text;
using Kiln.Server.Console;
using Kiln.Server.Core;
using Kiln.Server.Data;

namespace Kiln.Server.Web;

/// <summary>The audit page's filter (action prefix, actor, a UTC date range) as the query both the page and the CSV export run.</summary>
public static class AuditQuery
{
    public const int PageLimit = 200;
    public const int ExportLimit = 1000;

    /// <summary>The filter; <paramref name="projectId"/> narrows it to a project's view (docs/console-ui.md#audit-log).</summary>
    public static AuditFilter Filter(string? action, string? actor, string? from, string? to, int limit, long? projectId = null) => new(
        Blank(action), Blank(actor), Since: Day(from) is { } f ? f.ToUnixTimeMilliseconds() : null,
        Until: Day(to) is { } t ? t.AddDays(1).ToUnixTimeMilliseconds() - 1 : null, Limit: limit, ProjectId: projectId);

    /// <summary>A <c>yyyy-MM-dd</c> date (what a date input sends) as the start of that day in UTC; anything else is no bound.</summary>
    public static DateTimeOffset? Day(string? s) =>
        DateTime.TryParseExact(s?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d)
            ? new DateTimeOffset(d, TimeSpan.Zero) : null;

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary><c>GET /console/audit/{orgId}/export.csv</c>: the filtered audit log as CSV (docs/console-ui.md#audit-log); <c>project</c> narrows it to a project's records.</summary>
public static class AuditExport
{
    public static void MapAuditExport(this IEndpointRouteBuilder app) =>
        app.MapGet(WebPaths.Root + "/audit/{orgId}/export.csv", ExportAsync).RequireAuthorization().ExcludeFromDescription()
           .WithErrorDialect(ErrorDialect.Html);

    private static async Task<IResult> ExportAsync(string orgId, string? action, string? actor, string? from, string? to, string? project,
        HttpContext ctx, OrgAccess access, KilnDb db, CancellationToken ct)
    {
        if (WebUser.IdOf(ctx.User) is not { } userId || await access.OrgAsync(userId, orgId, ct) is not { } org) return Results.NotFound();
        if (await AuditApi.ProjectFilterAsync(db, org.OrgId, project, ct) is not (true, var projectId)) return Results.NotFound();
        var rows = await AuditApi.QueryAsync(db, org.OrgId, AuditQuery.Filter(action, actor, from, to, AuditQuery.ExportLimit, projectId), ct);
        var csv = new StringBuilder();
        Line(csv, ["when_utc", "actor_type", "actor", "actor_name", "action", "summary", "target", "detail", "source_ip", "count"]);
        foreach (var a in rows)
            Line(csv, [When(a.At), a.ActorType, a.Actor, a.ActorName, a.Action, a.Summary, a.Target, a.Detail, a.SourceIp, a.Count.ToString(CultureInfo.InvariantCulture)]);
        ctx.Response.Headers.CacheControl = "no-store";
        return Results.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8",
            projectId is null ? $"kiln-audit-{org.OrgId}.csv" : $"kiln-audit-{org.OrgId}-{project}.csv");
    }

    private static string When(string ms) =>
        DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(ms, CultureInfo.InvariantCulture)).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder sb, string[] cells)
    {
        sb.AppendJoin(',', cells.Select(Cell));
        sb.Append("\r\n");
    }

    /// <summary>
    /// One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break, quotes doubled. A cell that a
    /// spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage return) gets a leading '.
    /// </summary>
    public static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }
}
