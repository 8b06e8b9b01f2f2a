using System.Globalization;
using Kiln.Server.Console;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Web;

/// <summary>
/// The workspace page's and the project overview's "Download" buttons: the same file as <c>GET .../workspaces/{id}/download</c>
/// (<see cref="WorkspaceFiles"/>, docs/console.md#workspace-download), or without a workspace the project's file
/// (<c>GET .../projects/{id}/download</c>, docs/console.md#project-download), behind the same access check (<see cref="OrgAccess"/>).
/// A form post, because "with a new secret" adds secrets; the answer is the file as an attachment, so the browser stays
/// on the page and a reload only reloads the page (docs/console-ui.md#forms-and-notices). A refusal (the secret limit)
/// goes back to the page with a notice.
/// </summary>
public static class WorkspaceDownload
{
    public static async Task<IResult> PostAsync(string orgId, string projectId, HttpContext ctx, IAntiforgery antiforgery, OrgAccess access,
        WorkspaceFiles files, ProjectOps projects, KilnDb db, TimeProvider clock, CancellationToken ct)
    {
        if (!await WebSetup.IsValidFormAsync(ctx, antiforgery)) return Results.BadRequest();
        if (WebUser.IdOf(ctx.User) is not { } userId || await access.OrgAsync(userId, orgId, ct) is not { } org || !Ids.TryParseId(projectId, out var pid))
            return WebSetup.NotFoundPage();
        var withNewSecret = ctx.Request.Form["withNewSecret"].ToString() == "true";
        var workspaceId = ctx.Request.Form["workspaceId"].ToString();
        if (workspaceId.Length == 0) return await ProjectAsync(ctx, db, clock, files, projects, WebUser.ActorOf(userId, ctx), org.OrgId, pid, withNewSecret, ct);
        if (!Ids.TryParseId(workspaceId, out var wid)) return WebSetup.NotFoundPage();
        var w = await db.Workspaces.AsNoTracking().FirstOrDefaultAsync(x => x.Id == wid && x.ProjectId == pid && x.OrgId == org.OrgId, ct);
        if (w is null) return WebSetup.NotFoundPage();
        var page = WebPaths.Workspace(w.OrgId, w.ProjectId, w.Id);
        if ((await files.BuildAsync(WebUser.ActorOf(userId, ctx), w, withNewSecret, ct)).Failed(out var error, out var file))
        {
            await Notices.SetAsync(ctx, db, clock, page, new Notice("Nothing was downloaded: " + error.Message, IsError: true));
            return Results.Redirect(page);
        }
        var name = string.Create(CultureInfo.InvariantCulture, $"{w.OrgId}-{file.Project.Name}-{w.Name}.json");
        ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        return Results.Json(file);
    }

    /// <summary>The project overview's "Download": the file of <c>GET .../projects/{projectId}/download</c> (docs/console.md#project-download).</summary>
    private static async Task<IResult> ProjectAsync(HttpContext ctx, KilnDb db, TimeProvider clock, WorkspaceFiles files, ProjectOps projects, Actor actor,
        long orgId, long projectId, bool withNewSecret, CancellationToken ct)
    {
        if (await projects.FindAsync(orgId, projectId, ct) is not { } project) return WebSetup.NotFoundPage();
        if ((await files.BuildProjectAsync(actor, project, withNewSecret, ct)).Failed(out var error, out var file))
        {
            var page = WebPaths.Project(orgId, projectId);
            await Notices.SetAsync(ctx, db, clock, page, new Notice("Nothing was downloaded: " + error.Message, IsError: true));
            return Results.Redirect(page);
        }
        ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"{DownloadApi.ProjectFileName(project)}\"";
        return Results.Json(file);
    }
}
