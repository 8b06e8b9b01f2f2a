using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>OAuth server-to-server credentials (docs/console.md#endpoints, docs/console.md#credential-fields-and-one-time-secrets): list, create (workspace and org level), edit, delete, resolve.</summary>
public static class CredentialsApi
{
    private const string Workspace = "/organizations/{orgId}/projects/{projectId}/workspaces/{workspaceId}";

    public static RouteGroupBuilder MapCredentials(this RouteGroupBuilder console)
    {
        console.MapGet(Workspace + "/credentials", ListAsync).WithName("ListWorkspaceCredentials");
        console.MapPost(Workspace + "/credentials/oauth-server-to-server", CreateInWorkspaceAsync).WithName("CreateWorkspaceCredential");
        console.MapDelete(Workspace + "/credentials/{credentialId}", DeleteAsync).WithName("DeleteCredential");
        console.MapPost("/organizations/{orgId}/credentials/oauth-server-to-server", CreateInOrgAsync).WithName("CreateOrgCredential");
        console.MapGet("/clients/{clientId}/credential", ByClientIdAsync).WithName("GetCredentialByClientId");
        console.MapGet("/organizations/{orgId}/projects_workspaces/credentials/{credentialId}", WhereIsAsync).WithName("GetCredentialProjectWorkspace");
        console.MapGet("/organizations/{orgId}/integrations/{intId}", IntegrationAsync).WithName("GetIntegration");
        console.MapPatch("/organizations/{orgId}/integrations/{intId}", PatchAsync).WithName("EditIntegration");
        return console;
    }

    public static async Task<Results<Ok<List<WorkspaceCredentialDto>>, JsonHttpResult<ApiError>>> ListAsync(
        string orgId, string projectId, string workspaceId, ImsCaller caller, OrgAccess access, KilnDb db, CancellationToken ct)
    {
        if (await access.WorkspaceAsync(caller, orgId, projectId, workspaceId, ct) is not { } w) return ApiErrors.NotFound("Workspace Not Found");
        var creds = await db.Credentials.AsNoTracking().Where(c => c.WorkspaceId == w.Id && c.OrgId == w.OrgId).ToListAsync(ct);
        return TypedResults.Ok(creds.OrderBy(c => c.CreatedAt).Select(c => c.AsWorkspaceCredentialDto()).ToList());
    }

    public static async Task<Results<Ok<WorkspaceCredentialCreatedDto>, JsonHttpResult<ApiError>>> CreateInWorkspaceAsync(
        string orgId, string projectId, string workspaceId, JsonBody<CredentialCreateRequest> request, ImsCaller caller, OrgAccess access,
        CredentialOps credentials, HttpContext ctx, CancellationToken ct)
    {
        if (await access.WorkspaceAsync(caller, orgId, projectId, workspaceId, ct) is not { } w) return ApiErrors.NotFound("Workspace Not Found");
        if (request.Failed(out var bad, out var body)) return bad;
        if (SdkCodes(body.Services) is not { } codes) return ApiErrors.BadRequest("each entry of services needs an sdkCode");
        if ((await credentials.CreateAsync(Actor.Of(caller, ctx), w, body.Name, body.Description, codes, ct)).Failed(out var error, out var created))
            return error.ToResult();
        var c = created.Credential;
        return TypedResults.Ok(new WorkspaceCredentialCreatedDto(ConsoleJson.Str(c.Id), c.ClientId, ConsoleJson.Str(c.OrgId), created.ClientSecret));
    }

    public static async Task<Results<Created<OrgCredentialCreatedDto>, JsonHttpResult<ApiError>>> CreateInOrgAsync(
        string orgId, JsonBody<CredentialCreateRequest> request, ImsCaller caller, OrgAccess access, CredentialOps credentials, HttpContext ctx,
        CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (request.Failed(out var bad, out var body)) return bad;
        if (SdkCodes(body.Services) is not { } codes) return ApiErrors.BadRequest("each entry of services needs an sdkCode");
        var made = await credentials.CreateInOrgAsync(Actor.Of(caller, ctx), org.OrgId, body.ProjectId, body.WorkspaceId, body.Name, body.Description, codes, ct);
        if (made.Failed(out var error, out var created)) return error.ToResult();
        var c = created.Credential;
        return TypedResults.Created($"/console/organizations/{orgId}/integrations/{c.Id}", new OrgCredentialCreatedDto(
            ConsoleJson.Str(c.Id), c.ClientId, ConsoleJson.Str(c.OrgId), c.TechnicalAccountId, ConsoleJson.Str(c.ProjectId),
            ConsoleJson.Str(c.WorkspaceId), created.Subscription with { ErrorList = created.Subscription.ErrorList ?? [] }, created.ClientSecret));
    }

    public static async Task<Results<Ok<EmptyDto>, JsonHttpResult<ApiError>>> DeleteAsync(
        string orgId, string projectId, string workspaceId, string credentialId, ImsCaller caller, OrgAccess access, CredentialOps credentials,
        HttpContext ctx, CancellationToken ct)
    {
        if (await access.WorkspaceAsync(caller, orgId, projectId, workspaceId, ct) is not { } w
            || !Ids.TryParseId(credentialId, out var cid)
            || !await credentials.DeleteAsync(Actor.Of(caller, ctx), w.OrgId, cid, w.Id, ct))
            return ApiErrors.NotFound("Credential Not Found");
        return TypedResults.Ok(new EmptyDto());
    }

    public static async Task<Results<Ok<ClientCredentialDto>, JsonHttpResult<ApiError>>> ByClientIdAsync(
        string clientId, ImsCaller caller, OrgAccess access, KilnDb db, CancellationToken ct)
    {
        var c = clientId.Length <= 64
            ? await db.Credentials.AsNoTracking().Include(x => x.Services).FirstOrDefaultAsync(x => x.ClientId == clientId, ct) : null;
        // The same 404 whether the client id is unknown or belongs to an org the caller cannot see.
        if (c is null || c.ClientId != clientId || await access.OrgAsync(caller, ConsoleJson.Str(c.OrgId), ct) is null)
            return ApiErrors.NotFound("Credential Not Found");
        var org = await db.Orgs.AsNoTracking().FirstAsync(o => o.Id == c.OrgId, ct);
        var services = Services.All.Where(s => c.Services.Any(x => x.SdkCode == s.Code)).Select(s => new ServiceRefDto(s.Code, s.Name)).ToList();
        return TypedResults.Ok(new ClientCredentialDto(ConsoleJson.Str(c.OrgId), org.Code, ConsoleJson.Str(c.ProjectId), ConsoleJson.Str(c.WorkspaceId),
            ConsoleJson.Str(c.Id), c.ClientId, ConsoleMapping.FlowType, ConsoleMapping.IntegrationType, ConsoleMapping.IntegrationType,
            new CredentialMetadataDto(c.Name, c.Description, c.TechnicalAccountId), services));
    }

    public static async Task<Results<Ok<List<ProjectWorkspaceRefDto>>, JsonHttpResult<ApiError>>> WhereIsAsync(
        string orgId, string credentialId, ImsCaller caller, OrgAccess access, CredentialOps credentials, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(credentialId, out var cid) || await credentials.FindAsync(org.OrgId, cid, ct) is not { } c)
            return ApiErrors.NotFound("Credential Not Found");
        return TypedResults.Ok(new List<ProjectWorkspaceRefDto> { new(ConsoleJson.Str(c.ProjectId), ConsoleJson.Str(c.WorkspaceId), ConsoleJson.Str(c.Id)) });
    }

    public static async Task<Results<Ok<IntegrationDto>, JsonHttpResult<ApiError>>> IntegrationAsync(
        string orgId, string intId, ImsCaller caller, OrgAccess access, CredentialOps credentials, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(intId, out var cid) || await credentials.FindAsync(org.OrgId, cid, ct) is not { } c)
            return ApiErrors.NotFound("Credential Not Found");
        var subscribed = Services.All.Where(s => c.Services.Any(x => x.SdkCode == s.Code)).ToList();
        return TypedResults.Ok(new IntegrationDto(ConsoleJson.Str(c.Id), c.ClientId, c.Name, c.Description, ConsoleJson.Str(c.OrgId),
            ConsoleMapping.FlowType, c.TechnicalAccountId, c.TechnicalAccountEmail(), subscribed.Select(s => s.Code).ToList(),
            subscribed.Select(s => new ServicePropertyDto(s.Code, s.Name, s.Scopes, [], [])).ToList(),
            c.Enabled ? "ENABLED" : "DISABLED", c.CreatedAt.ToUnixTimeMilliseconds(), c.ModifiedAt.ToUnixTimeMilliseconds(),
            ConsoleJson.Str(c.ProjectId), ConsoleJson.Str(c.WorkspaceId)));
    }

    /// <summary>
    /// <c>PATCH .../integrations/{intId}</c> (a Kiln extension, docs/console.md#endpoints): renames the credential and/or sets its
    /// description through <see cref="CredentialOps.UpdateAsync"/>, the operation the UI's "Edit credential" calls; answers the integration.
    /// </summary>
    public static async Task<Results<Ok<IntegrationDto>, JsonHttpResult<ApiError>>> PatchAsync(
        string orgId, string intId, JsonBody<CredentialPatchRequest> request, ImsCaller caller, OrgAccess access, CredentialOps credentials,
        HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(intId, out var cid) || await credentials.FindAsync(org.OrgId, cid, ct) is not { } c)
            return ApiErrors.NotFound("Credential Not Found");
        if (request.Failed(out var bad, out var body)) return bad;
        if (body.Name is null && body.Description is null) return ApiErrors.BadRequest("give name, description or both");
        if ((await credentials.UpdateAsync(Actor.Of(caller, ctx), org.OrgId, cid, body.Name ?? c.Name, body.Description, ct)).Failed(out var error, out _))
            return error.ToResult();
        return await IntegrationAsync(orgId, intId, caller, access, credentials, ct);
    }

    /// <summary>The sdkCodes of a services array (absent: none); null when an entry has no sdkCode.</summary>
    internal static IReadOnlyList<string>? SdkCodes(List<ServiceRequest?>? services)
    {
        if (services is null) return [];
        if (services.Any(s => string.IsNullOrWhiteSpace(s?.SdkCode))) return null;
        return services.Select(s => s!.SdkCode!.Trim()).ToList();
    }
}
