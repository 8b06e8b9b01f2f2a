using System.Globalization;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>Projects (docs/console.md#endpoints): list with sort/page/filter, create (201), get, edit, delete.</summary>
public static class ProjectsApi
{
    public static RouteGroupBuilder MapProjects(this RouteGroupBuilder console)
    {
        var g = console.MapGroup("/organizations/{orgId}/projects");
        g.MapGet("/", ListAsync).WithName("ListProjects");
        g.MapPost("/", CreateAsync).WithName("CreateProject");
        g.MapGet("/{projectId}", GetAsync).WithName("GetProject");
        g.MapPatch("/{projectId}", PatchAsync).WithName("EditProject");
        g.MapDelete("/{projectId}", DeleteAsync).WithName("DeleteProject");
        return g;
    }

    public static async Task<Results<Ok<List<ProjectDto>>, JsonHttpResult<ApiError>>> ListAsync(
        string orgId, string? sortField, string? sortOrder, string? page, string? size, string? title, string? projectType,
        ImsCaller caller, OrgAccess access, KilnDb db, HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (sortField is not (null or "date_last_modified" or "date_created" or "title"))
            return ApiErrors.BadRequest("sortField must be date_last_modified, date_created or title");
        var desc = sortOrder?.ToUpperInvariant() switch { null or "ASC" => false, "DESC" => true, _ => (bool?)null };
        if (desc is null) return ApiErrors.BadRequest("sortOrder must be ASC or DESC");
        int? pageNo = null, pageSize = null;
        if (page is not null)
        {
            if (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p < 1) return ApiErrors.BadRequest("page must be an integer >= 1");
            pageNo = p;
        }
        if (size is not null)
        {
            if (!int.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var s) || s is < 1 or > 1000) return ApiErrors.BadRequest("size must be an integer from 1 to 1000");
            pageSize = s;
        }

        var q = db.Projects.AsNoTracking().Where(p => p.OrgId == org.OrgId);
#pragma warning disable CA1862 // translated to SQL: lower() on both sides works on SQLite and PostgreSQL
        if (!string.IsNullOrEmpty(title)) { var t = title.ToLowerInvariant(); q = q.Where(p => p.Title.ToLower().Contains(t)); }
#pragma warning restore CA1862
        if (!string.IsNullOrEmpty(projectType)) q = q.Where(p => p.Type == projectType);
        q = (sortField, desc.Value) switch
        {
            ("title", false) => q.OrderBy(p => p.Title).ThenBy(p => p.Id),
            ("title", true) => q.OrderByDescending(p => p.Title).ThenByDescending(p => p.Id),
            ("date_created", false) => q.OrderBy(p => p.CreatedAt).ThenBy(p => p.Id),
            ("date_created", true) => q.OrderByDescending(p => p.CreatedAt).ThenByDescending(p => p.Id),
            (_, false) => q.OrderBy(p => p.ModifiedAt).ThenBy(p => p.Id),
            (_, true) => q.OrderByDescending(p => p.ModifiedAt).ThenByDescending(p => p.Id),
        };
        var total = await q.CountAsync(ct);
        if (pageNo is { } n)
        {
            pageSize ??= 100;
            var skip = (long)(n - 1) * pageSize.Value;
            q = skip >= total ? q.Take(0) : q.Skip((int)skip).Take(pageSize.Value);
        }
        var projects = await q.ToListAsync(ct);
        var ids = projects.Select(p => p.Id).ToList();
        var workspaces = (await db.Workspaces.AsNoTracking().Where(w => ids.Contains(w.ProjectId)).ToListAsync(ct))
            .OrderBy(w => w.CreatedAt).ToLookup(w => w.ProjectId);
        ctx.Response.Headers["X-Pagination-Count"] = total.ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers["X-Pagination-Page"] = (pageNo ?? 1).ToString(CultureInfo.InvariantCulture);
        ctx.Response.Headers["X-Pagination-Size"] = (pageSize ?? Math.Max(total, 1)).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Ok(projects.Select(p => p.AsProjectDto(workspaces[p.Id].ToList())).ToList());
    }

    public static async Task<Results<Created<NewProjectDto>, JsonHttpResult<ApiError>>> CreateAsync(
        string orgId, JsonBody<ProjectCreateRequest> request, ImsCaller caller, OrgAccess access, ProjectOps projects, HttpContext ctx,
        CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (request.Failed(out var bad, out var body)) return bad;
        if (body.Type is null) return ApiErrors.BadRequest("type is required");
        if (body.Type == "jaeger") return ApiErrors.BadRequest("type 'jaeger' (App Builder) is not supported by Kiln; use 'default'");
        if (body.Type != "default") return ApiErrors.BadRequest("type must be 'default'");
        if ((await projects.CreateAsync(Actor.Of(caller, ctx), org.OrgId, body.Name, body.Title, body.Description, ct)).Failed(out var error, out var made))
            return error.ToResult();
        return TypedResults.Created($"/console/organizations/{orgId}/projects/{made.Project.Id}",
            new NewProjectDto(ConsoleJson.Str(made.Project.Id), made.Project.Type, ConsoleJson.Str(made.Workspace.Id)));
    }

    public static async Task<Results<Ok<ProjectDto>, JsonHttpResult<ApiError>>> GetAsync(
        string orgId, string projectId, ImsCaller caller, OrgAccess access, ProjectOps projects, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(projectId, out var pid) || await projects.FindAsync(org.OrgId, pid, ct) is not { } project)
            return ApiErrors.NotFound("Project Not Found");
        return TypedResults.Ok(project.AsProjectDto());
    }

    public static async Task<Results<Ok<ProjectDto>, JsonHttpResult<ApiError>>> PatchAsync(
        string orgId, string projectId, JsonBody<ProjectPatchRequest> request, ImsCaller caller, OrgAccess access, ProjectOps projects,
        HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(projectId, out var pid)) return ApiErrors.NotFound("Project Not Found");
        if (request.Failed(out var bad, out var body)) return bad;
        // The swagger's rule: (name and title) or notifications_enabled.
        if ((body.Name is null || body.Title is null) && body.NotificationsEnabled is null)
            return ApiErrors.BadRequest("give name and title, or notifications_enabled");
        var updated = await projects.UpdateAsync(Actor.Of(caller, ctx), org.OrgId, pid, body.Name, body.Title, body.Description, body.NotificationsEnabled, ct);
        return updated.Failed(out var error, out var project) ? error.ToResult() : TypedResults.Ok(project.AsProjectDto());
    }

    public static async Task<Results<Ok<EmptyDto>, JsonHttpResult<ApiError>>> DeleteAsync(
        string orgId, string projectId, ImsCaller caller, OrgAccess access, ProjectOps projects, HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(projectId, out var pid) || !await projects.DeleteAsync(Actor.Of(caller, ctx), org.OrgId, pid, ct))
            return ApiErrors.NotFound("Project Not Found");
        return TypedResults.Ok(new EmptyDto());
    }
}
