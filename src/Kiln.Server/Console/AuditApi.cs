using System.Text.Json.Serialization;
using Kiln.Server.Data;
using Kiln.Server.Hosting;
using Kiln.Server.Ims;
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
    [property: JsonPropertyName("count")] int Count);

/// <summary><c>GET /console/organizations/{orgId}/audit</c>: a Kiln extension, filterable.</summary>
public static class AuditApi
{
    public static RouteHandlerBuilder MapAudit(this IEndpointRouteBuilder app) =>
        app.MapGet("/console/organizations/{orgId}/audit", ListAsync).WithTags("Console: audit").RequireIms("adobeio_api");

    public static async Task<Results<Ok<List<AuditDto>>, JsonHttpResult<ApiError>>> ListAsync(
        string orgId, string? action, string? actor, long? since, long? until, int? limit,
        ImsCaller caller, OrgAccess access, KilnDb db, CancellationToken ct)
    {
        var role = await access.RoleInAsync(caller, orgId, ct);
        if (role is null or "self") return ApiErrors.NotFound("Organization Not Found");
        if (limit is < 1 or > 1000) return ApiErrors.BadRequest("limit must be between 1 and 1000");
        var id = long.Parse(orgId, System.Globalization.CultureInfo.InvariantCulture);
        var q = db.AuditRecords.AsNoTracking().Where(a => a.OrgId == id);
        if (!string.IsNullOrEmpty(action)) q = q.Where(a => a.Action.StartsWith(action));
        if (!string.IsNullOrEmpty(actor)) q = q.Where(a => a.Actor == actor);
        if (since is { } s) { var t = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(s, 0, 253402300799999)); q = q.Where(a => a.At >= t); }
        if (until is { } u) { var t = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(u, 0, 253402300799999)); q = q.Where(a => a.At <= t); }
        var rows = await q.OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Take(limit ?? 100).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(a => new AuditDto(a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Ids.ToMs(a.At), a.ActorType, a.Actor, a.Action, a.Target, a.Detail, a.SourceIp, a.Count)).ToList());
    }
}
