using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Quotas;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using J = System.Text.Json.Serialization.JsonPropertyNameAttribute;

namespace Kiln.Server.Console;

/// <summary>Image limits in a request body and in answers: images per minute, day and month (null: none, or the default).</summary>
public sealed record QuotaLimitsDto([property: J("per_minute")] int? PerMinute, [property: J("per_day")] int? PerDay, [property: J("per_month")] int? PerMonth)
{
    public static QuotaLimitsDto Of(QuotaValues v) => new(v.PerMinute, v.PerDay, v.PerMonth);
}

public sealed record QuotaUsedDto([property: J("minute")] long Minute, [property: J("day")] long Day, [property: J("month")] long Month);

/// <summary>One level's limits: <c>limits</c> are its own (null: the default), <c>effective</c> what applies, <c>used</c> the current windows.</summary>
public sealed record QuotaDto([property: J("scope")] string Scope, [property: J("id")] string Id, [property: J("limits")] QuotaLimitsDto Limits,
    [property: J("effective")] QuotaLimitsDto Effective, [property: J("used")] QuotaUsedDto Used)
{
    public static QuotaDto Of(QuotaView v) => new(v.Scope, ConsoleJson.Str(v.Id), QuotaLimitsDto.Of(v.Own), QuotaLimitsDto.Of(v.Effective),
        new QuotaUsedDto(v.Used.Minute, v.Used.Day, v.Used.Month));
}

/// <summary>
/// Image quotas (a Kiln extension; docs/console.md#quotas-and-usage): read by admins and developers, set by admins only
/// (developers and credentials get 403, other orgs 404). <c>GET .../quotas</c> on the org lists the org and every project
/// and credential with limits of its own.
/// </summary>
public static class QuotasApi
{
    public static RouteGroupBuilder MapQuotas(this RouteGroupBuilder console)
    {
        var g = console.MapGroup("/organizations/{orgId}");
        g.MapGet("/quotas", ListAsync).WithName("ListQuotas");
        g.MapPut("/quotas", (string orgId, JsonBody<QuotaLimitsDto> body, ImsCaller caller, OrgAccess access, KilnDb db, QuotaSettings settings, HttpContext ctx,
            CancellationToken ct) => SetAsync(orgId, QuotaScopes.Org, null, body, caller, access, db, settings, ctx, ct)).WithName("SetOrgQuota");
        g.MapGet("/projects/{projectId}/quotas", (string orgId, string projectId, ImsCaller caller, OrgAccess access, KilnDb db, QuotaSettings settings,
            CancellationToken ct) => GetAsync(orgId, QuotaScopes.Project, projectId, caller, access, db, settings, ct)).WithName("GetProjectQuota");
        g.MapPut("/projects/{projectId}/quotas", (string orgId, string projectId, JsonBody<QuotaLimitsDto> body, ImsCaller caller, OrgAccess access, KilnDb db,
            QuotaSettings settings, HttpContext ctx, CancellationToken ct) => SetAsync(orgId, QuotaScopes.Project, projectId, body, caller, access, db, settings, ctx, ct))
            .WithName("SetProjectQuota");
        g.MapGet("/credentials/{credentialId}/quotas", (string orgId, string credentialId, ImsCaller caller, OrgAccess access, KilnDb db, QuotaSettings settings,
            CancellationToken ct) => GetAsync(orgId, QuotaScopes.Credential, credentialId, caller, access, db, settings, ct)).WithName("GetCredentialQuota");
        g.MapPut("/credentials/{credentialId}/quotas", (string orgId, string credentialId, JsonBody<QuotaLimitsDto> body, ImsCaller caller, OrgAccess access,
            KilnDb db, QuotaSettings settings, HttpContext ctx, CancellationToken ct) =>
            SetAsync(orgId, QuotaScopes.Credential, credentialId, body, caller, access, db, settings, ctx, ct)).WithName("SetCredentialQuota");
        return g;
    }

    public static async Task<Results<Ok<List<QuotaDto>>, JsonHttpResult<ApiError>>> ListAsync(
        string orgId, ImsCaller caller, OrgAccess access, KilnDb db, QuotaSettings settings, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        return TypedResults.Ok((await settings.ListAsync(db, org.OrgId, ct)).Select(QuotaDto.Of).ToList());
    }

    private static async Task<Results<Ok<QuotaDto>, JsonHttpResult<ApiError>>> GetAsync(
        string orgId, string scope, string targetId, ImsCaller caller, OrgAccess access, KilnDb db, QuotaSettings settings, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (await TargetAsync(db, org.OrgId, scope, targetId, ct) is not { } id) return NotFound(scope);
        return TypedResults.Ok(QuotaDto.Of(await settings.ViewAsync(db, org.OrgId, scope, id, ct)));
    }

    private static async Task<Results<Ok<QuotaDto>, JsonHttpResult<ApiError>>> SetAsync(
        string orgId, string scope, string? targetId, JsonBody<QuotaLimitsDto> body, ImsCaller caller, OrgAccess access, KilnDb db, QuotaSettings settings,
        HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if ((await QuotaTarget.ResolveAsync(db, org, scope, targetId, ct)).Failed(out var refused, out var target)) return refused.ToResult();
        if (body.Failed(out var bad, out var limits)) return bad;
        if ((await SetLimitsAsync(db, settings, Actor.Of(caller, ctx), target, limits, ct)).Failed(out var error, out var view))
            return error.ToResult();
        return TypedResults.Ok(QuotaDto.Of(view));
    }

    /// <summary>
    /// Sets a level's own limits: the one operation behind <c>PUT .../quotas</c> and the usage page's "Set limits" form
    /// (docs/console-ui.md#usage). Who may set them on which target is <see cref="QuotaTarget.ResolveAsync"/>'s rule;
    /// this checks each limit is in range.
    /// </summary>
    public static async Task<OpResult<QuotaView>> SetLimitsAsync(KilnDb db, QuotaSettings settings, Actor actor, QuotaTarget target,
        QuotaLimitsDto limits, CancellationToken ct)
    {
        if (Check(limits) is { } problem) return OpError.BadRequest(problem);
        return await settings.SetAsync(db, actor, target.OrgId, target.Scope, target.Id, new QuotaValues(limits.PerMinute, limits.PerDay, limits.PerMonth), ct);
    }

    /// <summary>Each limit is null or 1 to 1,000,000,000 images.</summary>
    public static string? Check(QuotaLimitsDto l) =>
        new[] { ("per_minute", l.PerMinute), ("per_day", l.PerDay), ("per_month", l.PerMonth) }
            .Where(x => x.Item2 is < 1 or > QuotaOptions.MaxLimit).Select(x => $"{x.Item1} must be null or between 1 and {QuotaOptions.MaxLimit}").FirstOrDefault();

    /// <summary>The target's id when it is the org itself or one of its projects or credentials; null answers 404.</summary>
    public static async Task<long?> TargetAsync(KilnDb db, long orgId, string scope, string? targetId, CancellationToken ct)
    {
        if (scope == QuotaScopes.Org) return orgId;
        if (!Ids.TryParseId(targetId, out var id)) return null;
        var exists = scope == QuotaScopes.Project
            ? await db.Projects.AnyAsync(p => p.Id == id && p.OrgId == orgId, ct)
            : await db.Credentials.AnyAsync(c => c.Id == id && c.OrgId == orgId, ct);
        return exists ? id : null;
    }

    private static JsonHttpResult<ApiError> NotFound(string scope) => ApiErrors.NotFound(Missing(scope));

    /// <summary>The 404 message for a project or credential that is not in the org.</summary>
    internal static string Missing(string scope) => scope == QuotaScopes.Project ? "Project Not Found" : "Credential Not Found";
}
