using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>Workspaces of a project (docs/console.md#endpoints): list, create (201), get, edit, delete.</summary>
public static class WorkspacesApi
{
    public static RouteGroupBuilder MapWorkspaces(this RouteGroupBuilder console)
    {
        var g = console.MapGroup("/organizations/{orgId}/projects/{projectId}/workspaces");
        g.MapGet("/", ListAsync).WithName("ListWorkspaces");
        g.MapPost("/", CreateAsync).WithName("CreateWorkspace");
        g.MapGet("/{workspaceId}", GetAsync).WithName("GetWorkspace");
        g.MapPatch("/{workspaceId}", PatchAsync).WithName("EditWorkspace");
        g.MapDelete("/{workspaceId}", DeleteAsync).WithName("DeleteWorkspace");
        return g;
    }

    public static async Task<Results<Ok<List<WorkspaceDto>>, JsonHttpResult<ApiError>>> ListAsync(
        string orgId, string projectId, ImsCaller caller, OrgAccess access, ProjectOps projects, KilnDb db, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(projectId, out var pid) || await projects.FindAsync(org.OrgId, pid, ct) is null)
            return ApiErrors.NotFound("Project Not Found");
        var list = await db.Workspaces.AsNoTracking().Where(w => w.ProjectId == pid && w.OrgId == org.OrgId).ToListAsync(ct);
        return TypedResults.Ok(list.OrderBy(w => w.CreatedAt).ThenBy(w => w.Name, StringComparer.Ordinal).Select(w => w.AsWorkspaceDto()).ToList());
    }

    public static async Task<Results<Created<NewWorkspaceDto>, JsonHttpResult<ApiError>>> CreateAsync(
        string orgId, string projectId, JsonBody<WorkspaceRequest> request, ImsCaller caller, OrgAccess access, ProjectOps projects,
        WorkspaceOps workspaces, HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(projectId, out var pid) || await projects.FindAsync(org.OrgId, pid, ct) is null)
            return ApiErrors.NotFound("Project Not Found");
        if (request.Failed(out var bad, out var body)) return bad;
        if ((await workspaces.CreateAsync(Actor.Of(caller, ctx), org.OrgId, pid, body.Name, body.Title, body.Description, ct)).Failed(out var error, out var w))
            return error.ToResult();
        return TypedResults.Created($"/console/organizations/{orgId}/projects/{pid}/workspaces/{w.Id}",
            new NewWorkspaceDto(ConsoleJson.Str(pid), ConsoleJson.Str(w.Id)));
    }

    public static async Task<Results<Ok<WorkspaceDto>, JsonHttpResult<ApiError>>> GetAsync(
        string orgId, string projectId, string workspaceId, ImsCaller caller, OrgAccess access, WorkspaceOps workspaces, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(projectId, out var pid) || !Ids.TryParseId(workspaceId, out var wid)
            || await workspaces.FindAsync(org.OrgId, pid, wid, ct) is not { } w)
            return ApiErrors.NotFound("Workspace Not Found");
        return TypedResults.Ok(w.AsWorkspaceDto());
    }

    public static async Task<Results<Ok<WorkspaceDto>, JsonHttpResult<ApiError>>> PatchAsync(
        string orgId, string projectId, string workspaceId, JsonBody<WorkspaceRequest> request, ImsCaller caller, OrgAccess access,
        WorkspaceOps workspaces, HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(projectId, out var pid) || !Ids.TryParseId(workspaceId, out var wid)) return ApiErrors.NotFound("Workspace Not Found");
        if (request.Failed(out var bad, out var body)) return bad;
        if (body.Name is null) return ApiErrors.BadRequest("name is required");
        var updated = await workspaces.UpdateAsync(Actor.Of(caller, ctx), org.OrgId, pid, wid, body.Name, body.Title, body.Description, ct);
        return updated.Failed(out var error, out var w) ? error.ToResult() : TypedResults.Ok(w.AsWorkspaceDto());
    }

    public static async Task<Results<Ok<EmptyDto>, JsonHttpResult<ApiError>>> DeleteAsync(
        string orgId, string projectId, string workspaceId, ImsCaller caller, OrgAccess access, WorkspaceOps workspaces,
        HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(projectId, out var pid) || !Ids.TryParseId(workspaceId, out var wid)) return ApiErrors.NotFound("Workspace Not Found");
        var error = await workspaces.DeleteAsync(Actor.Of(caller, ctx), org.OrgId, pid, wid, ct);
        return error is not null ? error.ToResult() : TypedResults.Ok(new EmptyDto());
    }
}
