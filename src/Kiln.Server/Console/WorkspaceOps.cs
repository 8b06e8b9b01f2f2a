using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>Workspace building blocks (see <see cref="ProjectOps"/> for the conventions).</summary>
public static class WorkspaceOps
{
    public static Task<Workspace?> FindAsync(KilnDb db, long orgId, long projectId, long workspaceId, CancellationToken ct) =>
        db.Workspaces.AsNoTracking().FirstOrDefaultAsync(w => w.Id == workspaceId && w.ProjectId == projectId && w.OrgId == orgId, ct);

    public static async Task<(Workspace? Workspace, OpError? Error)> CreateAsync(KilnDb db, TimeProvider clock, Actor actor,
        long orgId, long projectId, string? name, string? title, string? description, CancellationToken ct)
    {
        if ((ProjectOps.NameProblem(name, "name") ?? ProjectOps.TextProblem(title, "title", 100, false)
            ?? ProjectOps.TextProblem(description, "description", 1000, false)) is { } bad)
            return (null, bad);
        if (!await db.Projects.AnyAsync(p => p.Id == projectId && p.OrgId == orgId, ct)) return (null, OpError.NotFound("Project Not Found"));
        if (await db.Workspaces.AnyAsync(w => w.ProjectId == projectId && w.Name == name, ct))
            return (null, Duplicate(name!));
        var workspace = NewEntities.NewWorkspace(orgId, projectId, name!, actor.Id, clock.GetUtcNow());
        workspace.Title = string.IsNullOrWhiteSpace(title) ? name! : title.Trim();
        workspace.Description = description ?? "";
        db.Workspaces.Add(workspace);
        actor.Audit(db, clock, orgId, "workspace.create", $"project:{projectId}/workspace:{workspace.Id}", name!);
        return await ProjectOps.TrySaveAsync(db, ct) ? (workspace, null) : (null, Duplicate(name!));
    }

    public static async Task<(Workspace? Workspace, OpError? Error)> UpdateAsync(KilnDb db, TimeProvider clock, Actor actor,
        long orgId, long projectId, long workspaceId, string? name, string? title, string? description, CancellationToken ct)
    {
        if ((ProjectOps.NameProblem(name, "name") ?? ProjectOps.TextProblem(title, "title", 100, false)
            ?? ProjectOps.TextProblem(description, "description", 1000, false)) is { } bad)
            return (null, bad);
        var w = await db.Workspaces.FirstOrDefaultAsync(x => x.Id == workspaceId && x.ProjectId == projectId && x.OrgId == orgId, ct);
        if (w is null) return (null, OpError.NotFound("Workspace Not Found"));
        if (name != w.Name && await db.Workspaces.AnyAsync(x => x.ProjectId == projectId && x.Name == name, ct)) return (null, Duplicate(name!));
        if (w.Name == ProjectOps.DefaultWorkspace && name != w.Name)
            return (null, OpError.Conflict("default_workspace", "The Production workspace cannot be renamed."));
        w.Name = name!;
        w.Title = string.IsNullOrWhiteSpace(title) ? w.Title : title.Trim();
        w.Description = description ?? w.Description;
        w.ModifiedAt = clock.GetUtcNow();
        w.WhoLastModified = actor.Id;
        actor.Audit(db, clock, orgId, "workspace.update", $"project:{projectId}/workspace:{workspaceId}", w.Name);
        return await ProjectOps.TrySaveAsync(db, ct) ? (w, null) : (null, Duplicate(name!));
    }

    /// <summary>Deletes a workspace with its credentials (irreversible; their tokens die at once). The Production workspace stays.</summary>
    public static async Task<OpError?> DeleteAsync(KilnDb db, CredentialCache cache, TimeProvider clock, Actor actor,
        long orgId, long projectId, long workspaceId, CancellationToken ct)
    {
        var w = await db.Workspaces.FirstOrDefaultAsync(x => x.Id == workspaceId && x.ProjectId == projectId && x.OrgId == orgId, ct);
        if (w is null) return OpError.NotFound("Workspace Not Found");
        if (w.Name == ProjectOps.DefaultWorkspace)
            return OpError.Conflict("default_workspace", "The Production workspace cannot be deleted; delete the project instead.");
        var clientIds = await db.Credentials.Where(c => c.WorkspaceId == workspaceId).Select(c => c.ClientId).ToListAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.ClientSecrets.Where(s => db.Credentials.Any(c => c.Id == s.CredentialId && c.WorkspaceId == workspaceId)).ExecuteDeleteAsync(ct);
        await db.CredentialServices.Where(s => db.Credentials.Any(c => c.Id == s.CredentialId && c.WorkspaceId == workspaceId)).ExecuteDeleteAsync(ct);
        await db.Credentials.Where(c => c.WorkspaceId == workspaceId).ExecuteDeleteAsync(ct);
        db.Workspaces.Remove(w);
        actor.Audit(db, clock, orgId, "workspace.delete", $"project:{projectId}/workspace:{workspaceId}", $"{w.Name}; {clientIds.Count} credential(s) deleted");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        foreach (var id in clientIds) cache.Invalidate(id);
        return null;
    }

    private static OpError Duplicate(string name) =>
        OpError.Conflict(ProjectOps.DuplicateName, $"A workspace named '{name}' already exists in this project.");
}
