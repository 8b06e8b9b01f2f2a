using Kiln.Server.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Server.Console;

/// <summary>
/// Subscribing a credential to APIs (docs/console.md#endpoints, docs/console.md#services-and-scopes). The subscriptions decide the scopes its tokens can get;
/// each change invalidates the credential cache, so the next token request sees it.
/// </summary>
public static class SubscriptionsApi
{
    private const string OrgCredential = "/organizations/{orgId}/credentials/oauth-server-to-server/{credentialId}";

    public static RouteGroupBuilder MapSubscriptions(this RouteGroupBuilder console)
    {
        console.MapPut("/organizations/{orgId}/projects/{projectId}/workspaces/{workspaceId}/credentials/{credentialType}/{credentialId}/services",
            PutInWorkspaceAsync).WithName("SubscribeWorkspaceCredential");
        console.MapPut(OrgCredential + "/services", PutAsync).WithName("SubscribeCredential");
        console.MapPatch(OrgCredential + "/service/subscribe", (string orgId, string credentialId, JsonBody<ServiceRequest> body, ImsCaller caller,
            OrgAccess access, CredentialOps credentials, HttpContext ctx, CancellationToken ct) =>
            PatchAsync(orgId, credentialId, subscribe: true, body, caller, access, credentials, ctx, ct)).WithName("SubscribeOneService");
        console.MapPatch(OrgCredential + "/service/unsubscribe", (string orgId, string credentialId, JsonBody<ServiceRequest> body, ImsCaller caller,
            OrgAccess access, CredentialOps credentials, HttpContext ctx, CancellationToken ct) =>
            PatchAsync(orgId, credentialId, subscribe: false, body, caller, access, credentials, ctx, ct)).WithName("UnsubscribeOneService");
        return console;
    }

    public static async Task<Results<Ok<SubscriptionResultDto>, JsonHttpResult<ApiError>>> PutInWorkspaceAsync(
        string orgId, string projectId, string workspaceId, string credentialType, string credentialId, JsonBody<ServiceRequestList> request,
        ImsCaller caller, OrgAccess access, CredentialOps credentials, HttpContext ctx, CancellationToken ct)
    {
        if (credentialType is not ("oauth-server-to-server" or "oauth_server_to_server")) return ApiErrors.NotFound("Credential Not Found");
        if (await access.WorkspaceAsync(caller, orgId, projectId, workspaceId, ct) is not { } w
            || !Ids.TryParseId(credentialId, out var cid) || await credentials.FindAsync(w.OrgId, cid, ct) is not { } c || c.WorkspaceId != w.Id)
            return ApiErrors.NotFound("Credential Not Found");
        return await SetAsync(credentials, Actor.Of(caller, ctx), w.OrgId, cid, request, ct);
    }

    public static async Task<Results<Ok<SubscriptionResultDto>, JsonHttpResult<ApiError>>> PutAsync(
        string orgId, string credentialId, JsonBody<ServiceRequestList> request, ImsCaller caller, OrgAccess access, CredentialOps credentials,
        HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(credentialId, out var cid)) return ApiErrors.NotFound("Credential Not Found");
        return await SetAsync(credentials, Actor.Of(caller, ctx), org.OrgId, cid, request, ct);
    }

    private static async Task<Results<Ok<SubscriptionResultDto>, JsonHttpResult<ApiError>>> SetAsync(
        CredentialOps credentials, Actor actor, long orgId, long credentialId, JsonBody<ServiceRequestList> request, CancellationToken ct)
    {
        if (request.Failed(out var bad, out var body)) return bad;
        if (CredentialsApi.SdkCodes(body) is not { } codes) return ApiErrors.BadRequest("each entry needs an sdkCode");
        if ((await credentials.SetServicesAsync(actor, orgId, credentialId, codes, ct)).Failed(out var error, out var result)) return error.ToResult();
        // The e2e expects exactly {sdkList:[...]} when nothing failed.
        return TypedResults.Ok(result with { ErrorList = result.ErrorList is { Count: > 0 } ? result.ErrorList : null });
    }

    public static async Task<Results<Ok<SubscriptionResultDto>, JsonHttpResult<ApiError>>> PatchAsync(
        string orgId, string credentialId, bool subscribe, JsonBody<ServiceRequest> request, ImsCaller caller, OrgAccess access,
        CredentialOps credentials, HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(credentialId, out var cid)) return ApiErrors.NotFound("Credential Not Found");
        if (request.Failed(out var bad, out var body)) return bad;
        if (string.IsNullOrWhiteSpace(body.SdkCode)) return ApiErrors.BadRequest("sdkCode is required");
        var actor = Actor.Of(caller, ctx);
        var changed = subscribe
            ? await credentials.SubscribeAsync(actor, org.OrgId, cid, body.SdkCode.Trim(), ct)
            : await credentials.UnsubscribeAsync(actor, org.OrgId, cid, body.SdkCode.Trim(), ct);
        return changed.Failed(out var error, out var result) ? error.ToResult() : TypedResults.Ok(result with { ErrorList = result.ErrorList ?? [] });
    }
}
