using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;
using J = System.Text.Json.Serialization.JsonPropertyNameAttribute;

namespace Kiln.Server.Console;

public sealed record WorkspaceFileDto([property: J("project")] FileProjectDto Project);
public sealed record FileProjectDto([property: J("id")] string Id, [property: J("name")] string Name, [property: J("title")] string Title,
    [property: J("description")] string Description, [property: J("org")] FileOrgDto Org);
public sealed record FileOrgDto([property: J("id")] string Id, [property: J("name")] string Name, [property: J("ims_org_id")] string ImsOrgId,
    [property: J("workspace")] FileWorkspaceDto Workspace);
public sealed record FileWorkspaceDto([property: J("id")] string Id, [property: J("name")] string Name, [property: J("title")] string Title,
    [property: J("description")] string Description, [property: J("details")] FileDetailsDto Details);
public sealed record FileDetailsDto([property: J("credentials")] IReadOnlyList<FileCredentialDto> Credentials,
    [property: J("services")] IReadOnlyList<ServiceRefDto> Services, [property: J("runtime")] FileRuntimeDto Runtime,
    [property: J("mesh")] EmptyDto Mesh, [property: J("events")] FileEventsDto Events);
public sealed record FileCredentialDto([property: J("id")] string Id, [property: J("name")] string Name, [property: J("apiKey")] string ApiKey,
    [property: J("integration_type")] string IntegrationType, [property: J("oauth_server_to_server")] FileS2SDto OAuthServerToServer);
public sealed record FileS2SDto([property: J("client_id")] string ClientId, [property: J("client_secrets")] IReadOnlyList<string> ClientSecrets,
    [property: J("technical_account_email")] string TechnicalAccountEmail, [property: J("technical_account_id")] string TechnicalAccountId,
    [property: J("scopes")] IReadOnlyList<string> Scopes);
public sealed record FileRuntimeDto([property: J("namespaces")] IReadOnlyList<object> Namespaces);
public sealed record FileEventsDto([property: J("registrations")] IReadOnlyList<object> Registrations);

/// <summary>The project file (docs/console.md#project-download): the project with its org and every workspace, each as in the workspace file.</summary>
public sealed record ProjectFileDto([property: J("project")] FileWholeProjectDto Project);
public sealed record FileWholeProjectDto([property: J("id")] string Id, [property: J("name")] string Name, [property: J("title")] string Title,
    [property: J("description")] string Description, [property: J("org")] FileOrgRefDto Org, [property: J("workspaces")] IReadOnlyList<FileWorkspaceDto> Workspaces);
public sealed record FileOrgRefDto([property: J("id")] string Id, [property: J("name")] string Name, [property: J("ims_org_id")] string ImsOrgId);

/// <summary>
/// The workspace file of docs/console.md#workspace-download (<c>GET .../download</c>), enough for aio-lib-ims's OAuth S2S plugin, and the
/// project file of docs/console.md#project-download (every workspace of the project). Kiln never stores plaintext secrets, so
/// <c>client_secrets</c> is empty unless the file is built with a new secret per credential, added (all or none, audited)
/// through <see cref="ClientSecrets"/>.
/// </summary>
public sealed class WorkspaceFiles(KilnDb db, ClientSecrets secrets)
{
    public async Task<OpResult<WorkspaceFileDto>> BuildAsync(Actor actor, Workspace w, bool withNewSecret, CancellationToken ct)
    {
        var org = await db.Orgs.AsNoTracking().FirstAsync(o => o.Id == w.OrgId, ct);
        var project = await db.Projects.AsNoTracking().FirstAsync(p => p.Id == w.ProjectId, ct);
        var creds = await CredentialsAsync(w.OrgId, c => c.WorkspaceId == w.Id, ct);
        if ((await FreshAsync(actor, creds, withNewSecret, "workspace download with a new secret", ct)).Failed(out var error, out var fresh)) return error;
        return new WorkspaceFileDto(new FileProjectDto(ConsoleJson.Str(project.Id), project.Name, project.Title, project.Description,
            new FileOrgDto(ConsoleJson.Str(org.Id), org.Name, org.Code, WorkspaceOf(w, creds, fresh))));
    }

    /// <summary>The whole project: its workspaces (Production first, then by creation) with their credentials; a new secret for every credential of the project when asked.</summary>
    public async Task<OpResult<ProjectFileDto>> BuildProjectAsync(Actor actor, Project project, bool withNewSecret, CancellationToken ct)
    {
        var org = await db.Orgs.AsNoTracking().FirstAsync(o => o.Id == project.OrgId, ct);
        var workspaces = (await db.Workspaces.AsNoTracking().Where(w => w.ProjectId == project.Id && w.OrgId == project.OrgId).ToListAsync(ct))
            .OrderBy(w => w.Name == ProjectOps.DefaultWorkspace ? 0 : 1).ThenBy(w => w.CreatedAt).ToList();
        var creds = await CredentialsAsync(project.OrgId, c => c.ProjectId == project.Id, ct);
        if ((await FreshAsync(actor, creds, withNewSecret, "project download with a new secret", ct)).Failed(out var error, out var fresh)) return error;
        return new ProjectFileDto(new FileWholeProjectDto(ConsoleJson.Str(project.Id), project.Name, project.Title, project.Description,
            new FileOrgRefDto(ConsoleJson.Str(org.Id), org.Name, org.Code),
            workspaces.Select(w => WorkspaceOf(w, creds.Where(c => c.WorkspaceId == w.Id).ToList(), fresh)).ToList()));
    }

    private async Task<List<Credential>> CredentialsAsync(long orgId, System.Linq.Expressions.Expression<Func<Credential, bool>> which, CancellationToken ct) =>
        (await db.Credentials.AsNoTracking().Include(c => c.Services).Where(c => c.OrgId == orgId).Where(which).ToListAsync(ct))
            .OrderBy(c => c.CreatedAt).ToList();

    private async Task<OpResult<IReadOnlyDictionary<long, NewClientSecret>>> FreshAsync(Actor actor, List<Credential> creds, bool withNewSecret,
        string detail, CancellationToken ct) =>
        withNewSecret ? await secrets.AddToEachAsync(db, actor, creds, detail, ct)
            : new OpResult<IReadOnlyDictionary<long, NewClientSecret>>(new Dictionary<long, NewClientSecret>());

    private static FileWorkspaceDto WorkspaceOf(Workspace w, List<Credential> creds, IReadOnlyDictionary<long, NewClientSecret> fresh)
    {
        var subscribed = creds.SelectMany(c => c.Services.Select(s => s.SdkCode)).ToHashSet(StringComparer.Ordinal);
        var details = new FileDetailsDto(
            creds.Select(c => new FileCredentialDto(ConsoleJson.Str(c.Id), c.Name, c.ClientId, ConsoleMapping.IntegrationType,
                new FileS2SDto(c.ClientId, fresh.TryGetValue(c.Id, out var s) ? [s.Plaintext] : [], c.TechnicalAccountEmail(), c.TechnicalAccountId,
                    Services.GrantedScopes(c.Services.Select(x => x.SdkCode))))).ToList(),
            Services.All.Where(x => subscribed.Contains(x.Code)).Select(x => new ServiceRefDto(x.Code, x.Name)).ToList(),
            new FileRuntimeDto([]), new EmptyDto(), new FileEventsDto([]));
        return new FileWorkspaceDto(ConsoleJson.Str(w.Id), w.Name, w.Title, w.Description, details);
    }
}
