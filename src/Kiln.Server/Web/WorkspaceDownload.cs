using System.Globalization;
using Kiln.Server.Console;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Web;

/// <summary>
/// The workspace page's "Download" buttons: the same file as <c>GET .../workspaces/{id}/download</c>
/// (<see cref="WorkspaceFiles"/>, docs/console.md#workspace-download), behind the same access check (<see cref="OrgAccess"/>).
/// A form post, because "with a new secret" adds secrets; the answer is the file as an attachment, so the browser stays
/// on the page and a reload only reloads the page (docs/console-ui.md#forms-and-notices). A refusal (the secret limit)
/// goes back to the page with a notice.
/// </summary>
public static class WorkspaceDownload
{
    public static async Task<IResult> PostAsync(string orgId, string projectId, HttpContext ctx, IAntiforgery antiforgery, OrgAccess access,
        WorkspaceFiles files, KilnDb db, TimeProvider clock, CancellationToken ct)
    {
        if (!await WebSetup.IsValidFormAsync(ctx, antiforgery)) return Results.BadRequest();
        if (WebUser.IdOf(ctx.User) is not { } userId || await access.OrgAsync(userId, orgId, ct) is not { } org
            || !Ids.TryParseId(projectId, out var pid) || !Ids.TryParseId(ctx.Request.Form["workspaceId"].ToString(), out var wid))
            return WebSetup.NotFoundPage();
        var w = await db.Workspaces.AsNoTracking().FirstOrDefaultAsync(x => x.Id == wid && x.ProjectId == pid && x.OrgId == org.OrgId, ct);
        if (w is null) return WebSetup.NotFoundPage();
        var withNewSecret = ctx.Request.Form["withNewSecret"].ToString() == "true";
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
}
