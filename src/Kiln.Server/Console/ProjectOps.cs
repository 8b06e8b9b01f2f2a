using System.Text.RegularExpressions;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>
/// Project building blocks shared by the REST API and the web UI. Each checks its input, scopes every query to
/// the org, saves the change together with its audit record, and answers an <see cref="OpError"/> on refusal.
/// Access (is this actor allowed in this org?) is decided by the caller, through <see cref="OrgAccess"/>.
/// </summary>
public static partial class ProjectOps
{
    public const string DefaultWorkspace = "Production";
    public const string DuplicateName = "ERR_MSG_DUPLICATE_NAME";

    /// <summary>Adobe's rule for project and workspace names: 3-45 letters, digits, '-' or '_', starting with a letter or digit.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{2,44}$")]
    public static partial Regex NamePattern();

    public static OpError? NameProblem(string? name, string what) =>
        name is null || !NamePattern().IsMatch(name)
            ? OpError.BadRequest($"{what} must be 3 to 45 letters, digits, '-' or '_', starting with a letter or digit")
            : null;

    public static OpError? TextProblem(string? value, string field, int max, bool required)
    {
        if (value is null) return required ? OpError.BadRequest($"{field} is required") : null;
        if (required && value.Trim().Length == 0) return OpError.BadRequest($"{field} must not be empty");
        if (value.Length > max) return OpError.BadRequest($"{field} must be at most {max} characters");
        return value.Any(char.IsControl) ? OpError.BadRequest($"{field} must not contain control characters") : null;
    }

    public static Task<Project?> FindAsync(KilnDb db, long orgId, long projectId, CancellationToken ct) =>
        db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Id == projectId && p.OrgId == orgId, ct);

    /// <summary>Creates a project and its <c>Production</c> workspace.</summary>
    public static async Task<(Project? Project, Workspace? Workspace, OpError? Error)> CreateAsync(
        KilnDb db, TimeProvider clock, Actor actor, long orgId, string? name, string? title, string? description, CancellationToken ct)
    {
        if ((NameProblem(name, "name") ?? TextProblem(title, "title", 100, true) ?? TextProblem(description, "description", 1000, false)) is { } bad)
            return (null, null, bad);
        if (await db.Projects.AnyAsync(p => p.OrgId == orgId && p.Name == name, ct))
            return (null, null, OpError.Conflict(DuplicateName, $"A project named '{name}' already exists in this organization."));
        var now = clock.GetUtcNow();
        var project = NewEntities.NewProject(orgId, name!, title!.Trim(), actor.Id, now);
        project.Description = description ?? "";
        var workspace = NewEntities.NewWorkspace(orgId, project.Id, DefaultWorkspace, actor.Id, now);
        db.AddRange(project, workspace);
        actor.Audit(db, clock, orgId, "project.create", $"project:{project.Id}", name!);
        if (!await TrySaveAsync(db, ct))
            return (null, null, OpError.Conflict(DuplicateName, $"A project named '{name}' already exists in this organization."));
        return (project, workspace, null);
    }

    /// <summary>Edits a project; null arguments leave fields as they are.</summary>
    public static async Task<(Project? Project, OpError? Error)> UpdateAsync(KilnDb db, TimeProvider clock, Actor actor, long orgId, long projectId,
        string? name, string? title, string? description, bool? notificationsEnabled, CancellationToken ct)
    {
        if (((name is null ? null : NameProblem(name, "name")) ?? (title is null ? null : TextProblem(title, "title", 100, true))
            ?? TextProblem(description, "description", 1000, false)) is { } bad)
            return (null, bad);
        var project = await db.Projects.FirstOrDefaultAsync(p => p.Id == projectId && p.OrgId == orgId, ct);
        if (project is null) return (null, OpError.NotFound("Project Not Found"));
        if (name is not null && name != project.Name && await db.Projects.AnyAsync(p => p.OrgId == orgId && p.Name == name, ct))
            return (null, OpError.Conflict(DuplicateName, $"A project named '{name}' already exists in this organization."));
        project.Name = name ?? project.Name;
        project.Title = title?.Trim() ?? project.Title;
        project.Description = description ?? project.Description;
        project.NotificationsEnabled = notificationsEnabled ?? project.NotificationsEnabled;
        project.ModifiedAt = clock.GetUtcNow();
        project.WhoLastModified = actor.Id;
        actor.Audit(db, clock, orgId, "project.update", $"project:{project.Id}", project.Name);
        if (!await TrySaveAsync(db, ct)) return (null, OpError.Conflict(DuplicateName, $"A project named '{name}' already exists in this organization."));
        return (project, null);
    }

    /// <summary>
    /// Deletes a project with its workspaces, credentials and their secrets (irreversible), and revokes the
    /// credentials' tokens at once. False when there is no such project in the org.
    /// </summary>
    public static async Task<bool> DeleteAsync(KilnDb db, CredentialCache cache, TimeProvider clock, Actor actor, long orgId, long projectId, CancellationToken ct)
    {
        var project = await db.Projects.FirstOrDefaultAsync(p => p.Id == projectId && p.OrgId == orgId, ct);
        if (project is null) return false;
        var clientIds = await db.Credentials.Where(c => c.ProjectId == projectId && c.OrgId == orgId).Select(c => c.ClientId).ToListAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        // Children first, so that the delete does not depend on the database's cascade settings.
        await db.ClientSecrets.Where(s => db.Credentials.Any(c => c.Id == s.CredentialId && c.ProjectId == projectId)).ExecuteDeleteAsync(ct);
        await db.CredentialServices.Where(s => db.Credentials.Any(c => c.Id == s.CredentialId && c.ProjectId == projectId)).ExecuteDeleteAsync(ct);
        await db.Credentials.Where(c => c.ProjectId == projectId && c.OrgId == orgId).ExecuteDeleteAsync(ct);
        await db.Workspaces.Where(w => w.ProjectId == projectId && w.OrgId == orgId).ExecuteDeleteAsync(ct);
        db.Projects.Remove(project);
        actor.Audit(db, clock, orgId, "project.delete", $"project:{projectId}", $"{project.Name}; {clientIds.Count} credential(s) deleted");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        foreach (var id in clientIds) cache.Invalidate(id); // their tokens die on their next request
        return true;
    }

    internal static async Task<bool> TrySaveAsync(KilnDb db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear(); // a unique-name race lost to another request
            return false;
        }
    }
}
