using Kiln.Server.Data;

namespace Kiln.Server.Core;

/// <summary>New projects, workspaces and credentials with fresh ids, the one place their initial fields are set.</summary>
public static class NewEntities
{
    public static Project NewProject(long orgId, string name, string title, string who, DateTimeOffset now) => new()
    {
        Id = Ids.NewId(), OrgId = orgId, Name = name, Title = title, CreatedAt = now, ModifiedAt = now, WhoCreated = who, WhoLastModified = who,
    };

    public static Workspace NewWorkspace(long orgId, long projectId, string name, string who, DateTimeOffset now) => new()
    {
        Id = Ids.NewId(), OrgId = orgId, ProjectId = projectId, Name = name, Title = name, CreatedAt = now, ModifiedAt = now,
        WhoCreated = who, WhoLastModified = who,
    };

    public static Credential NewCredential(long orgId, long projectId, long workspaceId, string name, DateTimeOffset now) => new()
    {
        Id = Ids.NewId(), OrgId = orgId, ProjectId = projectId, WorkspaceId = workspaceId, Name = name,
        ClientId = Ids.NewHex32(), TechnicalAccountId = Ids.NewTechnicalAccountId(), CreatedAt = now, ModifiedAt = now,
    };
}
