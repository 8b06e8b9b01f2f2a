using System.Text.RegularExpressions;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>A project just made, with its Production workspace.</summary>
public sealed record NewProject(Project Project, Workspace Workspace);

/// <summary>
/// Projects, for the REST API and the web UI alike. Each method checks its input, scopes every query to the org,
/// saves the change together with its audit record, and answers an <see cref="OpError"/> on refusal. Access (may this
/// actor act in this org?) is decided before, by <see cref="OrgAccess"/>. Names are unique per org: checked and
/// written under the org's lock (<see cref="RowLocks"/>).
/// </summary>
public sealed partial class ProjectOps(KilnDb db, TimeProvider clock, CredentialCache cache)
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

    /// <summary>Titles, descriptions and credential names: <see cref="TextRules"/> (give it the NFC form, <see cref="TextRules.Nfc(string)"/>).</summary>
    public static OpError? TextProblem(string? value, string field, int max, bool required) => TextRules.Problem(value, field, max, required);

    public Task<Project?> FindAsync(long orgId, long projectId, CancellationToken ct) =>
        db.Projects.AsNoTracking().FirstOrDefaultAsync(p => p.Id == projectId && p.OrgId == orgId, ct);

    /// <summary>Creates a project and its <c>Production</c> workspace.</summary>
    public async Task<OpResult<NewProject>> CreateAsync(Actor actor, long orgId, string? name, string? title, string? description, CancellationToken ct)
    {
        (title, description) = (TextRules.NfcOrNull(title), TextRules.NfcOrNull(description));
        var bad = NameProblem(name, "name") ?? TextProblem(title, "title", 100, true) ?? TextProblem(description, "description", 1000, false);
        if (bad is not null || name is null || title is null) return bad ?? OpError.BadRequest("name and title are required");
        await using var tx = await db.LockOrgAsync(orgId, ct);
        var made = await AddLockedAsync(actor, orgId, name, title.Trim(), description ?? "", ct);
        if (made.Failed(out var error, out var created)) return error;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return created;
    }

    /// <summary>
    /// Adds a project and its Production workspace to the context, for a caller that holds the org's lock and saves
    /// (the org-level credential create makes one).
    /// </summary>
    internal async Task<OpResult<NewProject>> AddLockedAsync(Actor actor, long orgId, string name, string title, string description, CancellationToken ct)
    {
        if (await db.Projects.AnyAsync(p => p.OrgId == orgId && p.Name == name, ct)) return Duplicate(name);
        var now = clock.GetUtcNow();
        var project = NewEntities.NewProject(orgId, name, title, actor.Id, now);
        project.Description = description;
        var workspace = NewEntities.NewWorkspace(orgId, project.Id, DefaultWorkspace, actor.Id, now);
        db.AddRange(project, workspace);
        actor.Audit(db, clock, AuditScope.Project(orgId, project.Id), "project.create", $"project:{project.Id}", name);
        return new NewProject(project, workspace);
    }

    /// <summary>Edits a project; null arguments leave fields as they are.</summary>
    public async Task<OpResult<Project>> UpdateAsync(Actor actor, long orgId, long projectId,
        string? name, string? title, string? description, bool? notificationsEnabled, CancellationToken ct)
    {
        (title, description) = (TextRules.NfcOrNull(title), TextRules.NfcOrNull(description));
        if (((name is null ? null : NameProblem(name, "name")) ?? (title is null ? null : TextProblem(title, "title", 100, true))
            ?? TextProblem(description, "description", 1000, false)) is { } bad)
            return bad;
        await using var tx = await db.LockOrgAsync(orgId, ct);
        var project = await db.Projects.FirstOrDefaultAsync(p => p.Id == projectId && p.OrgId == orgId, ct);
        if (project is null) return OpError.NotFound("Project Not Found");
        if (name is not null && name != project.Name && await db.Projects.AnyAsync(p => p.OrgId == orgId && p.Name == name, ct))
            return Duplicate(name);
        project.Name = name ?? project.Name;
        project.Title = title?.Trim() ?? project.Title;
        project.Description = description ?? project.Description;
        project.NotificationsEnabled = notificationsEnabled ?? project.NotificationsEnabled;
        project.ModifiedAt = clock.GetUtcNow();
        project.WhoLastModified = actor.Id;
        actor.Audit(db, clock, AuditScope.Project(orgId, project.Id), "project.update", $"project:{project.Id}", project.Name);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return project;
    }

    /// <summary>
    /// Deletes a project with its workspaces, credentials and their secrets (irreversible), and revokes the
    /// credentials' tokens at once. False when there is no such project in the org.
    /// </summary>
    public async Task<bool> DeleteAsync(Actor actor, long orgId, long projectId, CancellationToken ct)
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
        actor.Audit(db, clock, AuditScope.Project(orgId, projectId), "project.delete", $"project:{projectId}", $"{project.Name}; {clientIds.Count} credential(s) deleted");
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

    private static OpError Duplicate(string name) =>
        OpError.Conflict(DuplicateName, $"A project named '{name}' already exists in this organization.");
}
