using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>
/// Workspaces (see <see cref="ProjectOps"/> for the conventions). Names are unique per project; the database's unique
/// index settles a race, which answers the same 409 as the check.
/// </summary>
public sealed class WorkspaceOps(KilnDb db, TimeProvider clock, CredentialCache cache)
{
    public Task<Workspace?> FindAsync(long orgId, long projectId, long workspaceId, CancellationToken ct) =>
        db.Workspaces.AsNoTracking().FirstOrDefaultAsync(w => w.Id == workspaceId && w.ProjectId == projectId && w.OrgId == orgId, ct);

    public async Task<OpResult<Workspace>> CreateAsync(Actor actor, long orgId, long projectId, string? name, string? title, string? description,
        CancellationToken ct)
    {
        (title, description) = (TextRules.NfcOrNull(title), TextRules.NfcOrNull(description));
        var bad = Problem(name, title, description);
        if (bad is not null || name is null) return bad ?? OpError.BadRequest("name is required");
        if (!await db.Projects.AnyAsync(p => p.Id == projectId && p.OrgId == orgId, ct)) return OpError.NotFound("Project Not Found");
        if (await db.Workspaces.AnyAsync(w => w.ProjectId == projectId && w.Name == name, ct)) return Duplicate(name);
        var workspace = NewEntities.NewWorkspace(orgId, projectId, name, actor.Id, clock.GetUtcNow());
        workspace.Title = string.IsNullOrWhiteSpace(title) ? name : title.Trim();
        workspace.Description = description ?? "";
        db.Workspaces.Add(workspace);
        actor.Audit(db, clock, AuditScope.Project(orgId, projectId), "workspace.create", $"project:{projectId}/workspace:{workspace.Id}", name);
        return await ProjectOps.TrySaveAsync(db, ct) ? workspace : Duplicate(name);
    }

    public async Task<OpResult<Workspace>> UpdateAsync(Actor actor, long orgId, long projectId, long workspaceId,
        string? name, string? title, string? description, CancellationToken ct)
    {
        (title, description) = (TextRules.NfcOrNull(title), TextRules.NfcOrNull(description));
        var bad = Problem(name, title, description);
        if (bad is not null || name is null) return bad ?? OpError.BadRequest("name is required");
        var w = await db.Workspaces.FirstOrDefaultAsync(x => x.Id == workspaceId && x.ProjectId == projectId && x.OrgId == orgId, ct);
        if (w is null) return OpError.NotFound("Workspace Not Found");
        if (name != w.Name && await db.Workspaces.AnyAsync(x => x.ProjectId == projectId && x.Name == name, ct)) return Duplicate(name);
        if (w.Name == ProjectOps.DefaultWorkspace && name != w.Name)
            return OpError.Conflict("default_workspace", "The Production workspace cannot be renamed.");
        w.Name = name;
        w.Title = string.IsNullOrWhiteSpace(title) ? w.Title : title.Trim();
        w.Description = description ?? w.Description;
        w.ModifiedAt = clock.GetUtcNow();
        w.WhoLastModified = actor.Id;
        actor.Audit(db, clock, AuditScope.Project(orgId, projectId), "workspace.update", $"project:{projectId}/workspace:{workspaceId}", w.Name);
        return await ProjectOps.TrySaveAsync(db, ct) ? w : Duplicate(name);
    }

    /// <summary>Deletes a workspace with its credentials (irreversible; their tokens die at once). The Production workspace stays.</summary>
    public async Task<OpError?> DeleteAsync(Actor actor, long orgId, long projectId, long workspaceId, CancellationToken ct)
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
        actor.Audit(db, clock, AuditScope.Project(orgId, projectId), "workspace.delete", $"project:{projectId}/workspace:{workspaceId}",
            $"Workspace {w.Name} deleted with {clientIds.Count} credential{(clientIds.Count == 1 ? "" : "s")} and their client secrets; their tokens were revoked");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        foreach (var id in clientIds) cache.Invalidate(id);
        return null;
    }

    private static OpError? Problem(string? name, string? title, string? description) =>
        ProjectOps.NameProblem(name, "name") ?? ProjectOps.TextProblem(title, "title", 100, false)
        ?? ProjectOps.TextProblem(description, "description", 1000, false);

    private static OpError Duplicate(string name) =>
        OpError.Conflict(ProjectOps.DuplicateName, $"A workspace named '{name}' already exists in this project.");
}
