using Kiln.Server.Console;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Web.Components;

/// <summary>What the project's pages share: the project the URL names (404 when it is not the user's), its workspaces and credentials, and the notice.</summary>
public abstract class ProjectPage : ConsolePage
{
    [Parameter] public string OrgId { get; set; } = "";
    [Parameter] public string ProjectId { get; set; } = "";
    [Inject] public ProjectOps Projects { get; set; } = default!;

    protected Project? Project { get; private set; }
    protected List<Workspace> Workspaces { get; private set; } = [];
    protected List<Credential> Credentials { get; private set; } = [];
    protected Notice? Notice { get; private set; }
    protected string? Error { get; set; }

    /// <summary>Loads the project; false (and a 404) when the URL names nothing of the user's.</summary>
    protected async Task<bool> LoadProjectAsync()
    {
        Notice = await TakeNoticeAsync();
        var org = await OrgAsync(OrgId);
        if (org is null) return false;
        Project = Ids.TryParseId(ProjectId, out var pid) ? await Projects.FindAsync(org.OrgId, pid, Ct) : null;
        if (Project is null) { NotFound(); return false; }
        Workspaces = (await Db.Workspaces.AsNoTracking().Where(w => w.ProjectId == Project.Id && w.OrgId == Project.OrgId).ToListAsync(Ct))
            .OrderBy(w => w.Name == ProjectOps.DefaultWorkspace ? 0 : 1).ThenBy(w => w.CreatedAt).ToList();
        Credentials = (await Db.Credentials.AsNoTracking().Include(c => c.Services).Where(c => c.ProjectId == Project.Id && c.OrgId == Project.OrgId)
            .ToListAsync(Ct)).OrderBy(c => c.CreatedAt).ToList();
        return true;
    }

    protected string WorkspaceName(long id) => Workspaces.FirstOrDefault(w => w.Id == id)?.Name ?? "";

    protected static string ApiNames(Credential c) =>
        c.Services.Count == 0 ? "none" : string.Join(", ", Kiln.Server.Ims.Services.All.Where(s => c.Services.Any(x => x.SdkCode == s.Code)).Select(s => s.Name));
}
