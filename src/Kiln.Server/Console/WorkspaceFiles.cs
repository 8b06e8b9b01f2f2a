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

/// <summary>
/// The workspace file of docs/console.md#workspace-download (<c>GET .../download</c>), enough for aio-lib-ims's OAuth S2S plugin. Kiln never stores
/// plaintext secrets, so <c>client_secrets</c> is empty unless the file is built with a new secret per credential,
/// added (all or none, audited) through <see cref="ClientSecrets"/>.
/// </summary>
public sealed class WorkspaceFiles(KilnDb db, ClientSecrets secrets)
{
    public async Task<OpResult<WorkspaceFileDto>> BuildAsync(Actor actor, Workspace w, bool withNewSecret, CancellationToken ct)
    {
        var org = await db.Orgs.AsNoTracking().FirstAsync(o => o.Id == w.OrgId, ct);
        var project = await db.Projects.AsNoTracking().FirstAsync(p => p.Id == w.ProjectId, ct);
        var creds = (await db.Credentials.AsNoTracking().Include(c => c.Services)
            .Where(c => c.WorkspaceId == w.Id && c.OrgId == w.OrgId).ToListAsync(ct)).OrderBy(c => c.CreatedAt).ToList();
        IReadOnlyDictionary<long, NewClientSecret> fresh = new Dictionary<long, NewClientSecret>();
        if (withNewSecret)
        {
            if ((await secrets.AddToEachAsync(db, actor, creds, "workspace download with a new secret", ct)).Failed(out var error, out var added))
                return error;
            fresh = added;
        }
        var subscribed = creds.SelectMany(c => c.Services.Select(s => s.SdkCode)).ToHashSet(StringComparer.Ordinal);
        var details = new FileDetailsDto(
            creds.Select(c => new FileCredentialDto(ConsoleJson.Str(c.Id), c.Name, c.ClientId, ConsoleMapping.IntegrationType,
                new FileS2SDto(c.ClientId, fresh.TryGetValue(c.Id, out var s) ? [s.Plaintext] : [], c.TechnicalAccountEmail(), c.TechnicalAccountId,
                    Services.GrantedScopes(c.Services.Select(x => x.SdkCode))))).ToList(),
            Services.All.Where(x => subscribed.Contains(x.Code)).Select(x => new ServiceRefDto(x.Code, x.Name)).ToList(),
            new FileRuntimeDto([]), new EmptyDto(), new FileEventsDto([]));
        return new WorkspaceFileDto(new FileProjectDto(ConsoleJson.Str(project.Id), project.Name, project.Title, project.Description,
            new FileOrgDto(ConsoleJson.Str(org.Id), org.Name, org.Code,
                new FileWorkspaceDto(ConsoleJson.Str(w.Id), w.Name, w.Title, w.Description, details))));
    }
}
