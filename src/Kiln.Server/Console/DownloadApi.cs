using Kiln.Server.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Server.Console;

/// <summary>
/// <c>GET .../workspaces/{workspaceId}/download</c>: the workspace JSON of docs/console.md#workspace-download (<see cref="WorkspaceFiles"/>);
/// <c>?with_new_secret=true</c> adds (and audits) a fresh secret per credential (docs/console.md#credential-fields-and-one-time-secrets).
/// <c>GET .../projects/{projectId}/download</c> is the same for every workspace of the project (docs/console.md#project-download).
/// </summary>
public static class DownloadApi
{
    public static RouteGroupBuilder MapWorkspaceDownload(this RouteGroupBuilder console)
    {
        console.MapGet("/organizations/{orgId}/projects/{projectId}/workspaces/{workspaceId}/download", DownloadAsync).WithName("DownloadWorkspace");
        console.MapGet("/organizations/{orgId}/projects/{projectId}/download", DownloadProjectAsync).WithName("DownloadProject");
        return console;
    }

    public static async Task<Results<Ok<WorkspaceFileDto>, JsonHttpResult<ApiError>>> DownloadAsync(
        string orgId, string projectId, string workspaceId, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "with_new_secret")] string? withNewSecret,
        ImsCaller caller, OrgAccess access, WorkspaceFiles files, HttpContext ctx, CancellationToken ct)
    {
        if (await access.WorkspaceAsync(caller, orgId, projectId, workspaceId, ct) is not { } w) return ApiErrors.NotFound("Workspace Not Found");
        if (WithNewSecret(withNewSecret) is not { } add) return ApiErrors.BadRequest("with_new_secret must be true or false");
        if ((await files.BuildAsync(Actor.Of(caller, ctx), w, add, ct)).Failed(out var error, out var file)) return error.ToResult();
        ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"{w.OrgId}-{file.Project.Name}-{w.Name}.json\"";
        if (add) OAuthErrors.NoStore(ctx);
        return TypedResults.Ok(file);
    }

    public static async Task<Results<Ok<ProjectFileDto>, JsonHttpResult<ApiError>>> DownloadProjectAsync(
        string orgId, string projectId, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "with_new_secret")] string? withNewSecret,
        ImsCaller caller, OrgAccess access, ProjectOps projects, WorkspaceFiles files, HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(projectId, out var pid) || await projects.FindAsync(org.OrgId, pid, ct) is not { } project)
            return ApiErrors.NotFound("Project Not Found");
        if (WithNewSecret(withNewSecret) is not { } add) return ApiErrors.BadRequest("with_new_secret must be true or false");
        if ((await files.BuildProjectAsync(Actor.Of(caller, ctx), project, add, ct)).Failed(out var error, out var file)) return error.ToResult();
        ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"{ProjectFileName(project)}\"";
        if (add) OAuthErrors.NoStore(ctx);
        return TypedResults.Ok(file);
    }

    /// <summary>The project file's name, <c>{orgId}-{project}.json</c>.</summary>
    public static string ProjectFileName(Kiln.Server.Data.Project p) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.OrgId}-{p.Name}.json");

    private static bool? WithNewSecret(string? value) =>
        value?.ToLowerInvariant() switch { null or "false" or "0" => false, "true" or "1" => true, _ => null };
}
