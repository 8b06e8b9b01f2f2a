using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
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
/// <c>GET .../workspaces/{workspaceId}/download</c>: the workspace JSON of §2.4, enough for aio-lib-ims's OAuth S2S
/// plugin. Kiln never stores plaintext secrets, so <c>client_secrets</c> is empty unless <c>?with_new_secret=true</c>
/// adds (and audits) a fresh secret per credential (§6 item 15).
/// </summary>
public static class DownloadApi
{
    public static RouteGroupBuilder MapWorkspaceDownload(this RouteGroupBuilder console)
    {
        console.MapGet("/organizations/{orgId}/projects/{projectId}/workspaces/{workspaceId}/download", DownloadAsync).WithName("DownloadWorkspace");
        return console;
    }

    public static async Task<Results<Ok<WorkspaceFileDto>, JsonHttpResult<ApiError>>> DownloadAsync(
        string orgId, string projectId, string workspaceId, [Microsoft.AspNetCore.Mvc.FromQuery(Name = "with_new_secret")] string? withNewSecret, ImsCaller caller, OrgAccess access, KilnDb db,
        SecretHasher hasher, CredentialCache cache, TimeProvider clock, IOptions<ImsOptions> ims, HttpContext ctx, CancellationToken ct)
    {
        if (await CredentialsApi.WorkspaceOfAsync(caller, access, db, orgId, projectId, workspaceId, ct) is not { } w)
            return ApiErrors.NotFound("Workspace Not Found");
        var withNew = withNewSecret?.ToLowerInvariant() switch { null or "false" or "0" => false, "true" or "1" => true, _ => (bool?)null };
        if (withNew is null) return ApiErrors.BadRequest("with_new_secret must be true or false");
        var (file, error) = await BuildAsync(db, hasher, cache, clock, Actor.Of(caller, ctx), ims.Value.MaxSecretsPerCredential, w, withNew.Value, ct);
        if (error is not null) return error.ToResult();
        ctx.Response.Headers.ContentDisposition = $"attachment; filename=\"{w.OrgId}-{file!.Project.Name}-{w.Name}.json\"";
        if (withNew.Value) OAuthErrors.NoStore(ctx);
        return TypedResults.Ok(file);
    }

    /// <summary>Builds the workspace file; with <paramref name="withNewSecret"/>, first adds one secret to every credential (all or none).</summary>
    public static async Task<(WorkspaceFileDto? File, OpError? Error)> BuildAsync(KilnDb db, SecretHasher hasher, CredentialCache cache,
        TimeProvider clock, Actor actor, int secretLimit, Workspace w, bool withNewSecret, CancellationToken ct)
    {
        var org = await db.Orgs.AsNoTracking().FirstAsync(o => o.Id == w.OrgId, ct);
        var project = await db.Projects.AsNoTracking().FirstAsync(p => p.Id == w.ProjectId, ct);
        var creds = await db.Credentials.AsNoTracking().Include(c => c.Services).Include(c => c.Secrets)
            .Where(c => c.WorkspaceId == w.Id && c.OrgId == w.OrgId).ToListAsync(ct);
        creds = creds.OrderBy(c => c.CreatedAt).ToList();
        var fresh = new Dictionary<long, string>();
        if (withNewSecret)
        {
            if (creds.FirstOrDefault(c => c.Secrets.Count >= secretLimit) is { } full)
                return (null, OpError.Conflict("secret_limit_reached",
                    $"Credential {full.Id} already has {secretLimit} client secrets; delete one before downloading with a new secret."));
            foreach (var c in creds)
            {
                var plaintext = SecretHasher.NewSecret();
                var secret = SecretsApi.NewSecret(c.Id, plaintext, hasher, clock);
                db.ClientSecrets.Add(secret);
                actor.Audit(db, clock, w.OrgId, "secret.add", $"credential:{c.Id}/secret:{secret.Uuid}", "workspace download with a new secret");
                fresh[c.Id] = plaintext;
            }
            await db.SaveChangesAsync(ct);
            foreach (var c in creds) cache.Invalidate(c.ClientId);
        }
        var subscribed = creds.SelectMany(c => c.Services.Select(s => s.SdkCode)).ToHashSet(StringComparer.Ordinal);
        var details = new FileDetailsDto(
            creds.Select(c => new FileCredentialDto(ConsoleJson.Str(c.Id), c.Name, c.ClientId, ConsoleMapping.IntegrationType,
                new FileS2SDto(c.ClientId, fresh.TryGetValue(c.Id, out var s) ? [s] : [], c.TechnicalAccountEmail(), c.TechnicalAccountId,
                    Services.GrantedScopes(c.Services.Select(x => x.SdkCode))))).ToList(),
            Services.All.Where(x => subscribed.Contains(x.Code)).Select(x => new ServiceRefDto(x.Code, x.Name)).ToList(),
            new FileRuntimeDto([]), new EmptyDto(), new FileEventsDto([]));
        return (new WorkspaceFileDto(new FileProjectDto(ConsoleJson.Str(project.Id), project.Name, project.Title, project.Description,
            new FileOrgDto(ConsoleJson.Str(org.Id), org.Name, org.Code,
                new FileWorkspaceDto(ConsoleJson.Str(w.Id), w.Name, w.Title, w.Description, details)))), null);
    }
}
