using System.Globalization;
using System.Text.Json.Serialization;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Kiln.Server.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

public sealed record AuditDto(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("at")] string At,
    [property: JsonPropertyName("actor_type")] string ActorType,
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("source_ip")] string SourceIp,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("actor_name")] string ActorName,
    [property: JsonPropertyName("summary")] string Summary);

/// <summary>
/// Audit filters, all optional: <c>action</c> and <c>target</c> match as prefixes ("project." or "credential:123"),
/// <c>actor</c> and <c>actorType</c> exactly (<c>actor</c> also by a user's email or a credential's name);
/// <c>since</c>/<c>until</c> are epoch ms. <c>ProjectId</c> (the UI's project view) keeps the records about that project:
/// the project, its workspaces and quota, its credentials (deleted ones included) with their secrets, tokens and quotas.
/// </summary>
public sealed record AuditFilter(string? Action = null, string? Actor = null, string? ActorType = null, string? Target = null,
    long? Since = null, long? Until = null, int Limit = 100, long? ProjectId = null);

/// <summary><c>GET /console/organizations/{orgId}/audit</c>: a Kiln extension, filterable; newest first.</summary>
public static class AuditApi
{
    public static RouteHandlerBuilder MapAudit(this IEndpointRouteBuilder app) =>
        app.MapGet("/console/organizations/{orgId}/audit", ListAsync).WithTags("Console: audit").RequireIms("adobeio_api");

    public static async Task<Results<Ok<List<AuditDto>>, JsonHttpResult<ApiError>>> ListAsync(
        string orgId, string? action, string? actor, string? actorType, string? target, long? since, long? until, int? limit, string? project,
        ImsCaller caller, OrgAccess access, KilnDb db, CancellationToken ct)
    {
        var role = await access.RoleInAsync(caller, orgId, ct);
        if (role is null or OrgAccess.Self) return ApiErrors.NotFound("Organization Not Found");
        if (limit is < 1 or > 1000) return ApiErrors.BadRequest("limit must be between 1 and 1000");
        var id = long.Parse(orgId, CultureInfo.InvariantCulture);
        if (await ProjectFilterAsync(db, id, project, ct) is not (true, var projectId)) return ApiErrors.NotFound("Project Not Found");
        return TypedResults.Ok(await QueryAsync(db, id, new AuditFilter(action, actor, actorType, target, since, until, limit ?? 100, projectId), ct));
    }

    /// <summary>
    /// The <c>project</c> filter of the REST API and the CSV export (the UI's project view): absent or empty is none;
    /// otherwise it must be the id of a project of the org (<c>Found</c> false when it is not).
    /// </summary>
    public static async Task<(bool Found, long? ProjectId)> ProjectFilterAsync(KilnDb db, long orgId, string? project, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(project)) return (true, null);
        return Ids.TryParseId(project, out var id) && await db.Projects.AnyAsync(p => p.Id == id && p.OrgId == orgId, ct) ? (true, id) : (false, null);
    }

    /// <summary>The org's audit records matching the filter (the web UI's audit view calls this too).</summary>
    public static async Task<List<AuditDto>> QueryAsync(KilnDb db, long orgId, AuditFilter f, CancellationToken ct)
    {
        var q = db.AuditRecords.AsNoTracking().Where(a => a.OrgId == orgId);
        if (!string.IsNullOrEmpty(f.Action)) q = q.Where(a => a.Action.StartsWith(f.Action));
        if (!string.IsNullOrEmpty(f.Actor))
        {
            var actors = await ActorIdsAsync(db, orgId, f.Actor, ct);
            q = q.Where(a => actors.Contains(a.Actor));
        }
        if (!string.IsNullOrEmpty(f.ActorType)) q = q.Where(a => a.ActorType == f.ActorType);
        if (!string.IsNullOrEmpty(f.Target)) q = q.Where(a => a.Target.StartsWith(f.Target));
        if (f.ProjectId is { } projectId) q = q.Where(a => a.ProjectId == projectId);
        if (f.Since is { } s) { var t = FromMs(s); q = q.Where(a => a.At >= t); }
        if (f.Until is { } u) { var t = FromMs(u); q = q.Where(a => a.At <= t); }
        var rows = await q.OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Take(Math.Clamp(f.Limit, 1, 1000)).ToListAsync(ct);
        var names = await AuditNames.LoadAsync(db, orgId, rows, ct);
        return rows.Select(a => new AuditDto(a.Id.ToString(CultureInfo.InvariantCulture),
            Ids.ToMs(a.At), a.ActorType, a.Actor, a.Action, a.Target, a.Detail, a.SourceIp, a.Count,
            names.ActorName(a), names.Summary(a))).ToList();
    }

    /// <summary>What an actor filter matches: the id itself, the user with that email, the org's credentials with that name.</summary>
    private static async Task<List<string>> ActorIdsAsync(KilnDb db, long orgId, string actor, CancellationToken ct)
    {
        var ids = new List<string> { actor.Trim() };
        if (actor.Contains('@', StringComparison.Ordinal))
        {
            var email = UserAccounts.Normalize(actor);
            ids.Add(email); // an unknown address's failed sign-in
            if (await UserAccounts.FindByEmailAsync(db, email, ct) is { } user) ids.Add(UserIds.Format(user.Id));
        }
        var name = actor.Trim();
        ids.AddRange(await db.Credentials.AsNoTracking().Where(c => c.OrgId == orgId && c.Name == name).Select(c => c.ClientId).ToListAsync(ct));
        return ids;
    }

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(ms, 0, 253402300799999));
}
