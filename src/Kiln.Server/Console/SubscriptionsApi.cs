using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Server.Console;

/// <summary>
/// Subscribing a credential to APIs (§2.2, §6 item 16). The subscriptions decide the scopes its tokens can get;
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
        console.MapPatch(OrgCredential + "/service/subscribe", (string orgId, string credentialId, ImsCaller caller, OrgAccess access, KilnDb db,
            CredentialCache cache, TimeProvider clock, HttpContext ctx, CancellationToken ct) =>
            PatchAsync(orgId, credentialId, subscribe: true, caller, access, db, cache, clock, ctx, ct)).WithName("SubscribeOneService");
        console.MapPatch(OrgCredential + "/service/unsubscribe", (string orgId, string credentialId, ImsCaller caller, OrgAccess access, KilnDb db,
            CredentialCache cache, TimeProvider clock, HttpContext ctx, CancellationToken ct) =>
            PatchAsync(orgId, credentialId, subscribe: false, caller, access, db, cache, clock, ctx, ct)).WithName("UnsubscribeOneService");
        return console;
    }

    public static async Task<Results<Ok<SubscriptionResultDto>, JsonHttpResult<ApiError>>> PutInWorkspaceAsync(
        string orgId, string projectId, string workspaceId, string credentialType, string credentialId, ImsCaller caller, OrgAccess access,
        KilnDb db, CredentialCache cache, TimeProvider clock, HttpContext ctx, CancellationToken ct)
    {
        if (credentialType is not ("oauth-server-to-server" or "oauth_server_to_server")) return ApiErrors.NotFound("Credential Not Found");
        if (await CredentialsApi.WorkspaceOfAsync(caller, access, db, orgId, projectId, workspaceId, ct) is not { } w
            || !Ids.TryParseId(credentialId, out var cid) || await CredentialOps.FindAsync(db, w.OrgId, cid, ct) is not { } c || c.WorkspaceId != w.Id)
            return ApiErrors.NotFound("Credential Not Found");
        return await SetAsync(db, cache, clock, Actor.Of(caller, ctx), w.OrgId, cid, ctx, ct);
    }

    public static async Task<Results<Ok<SubscriptionResultDto>, JsonHttpResult<ApiError>>> PutAsync(
        string orgId, string credentialId, ImsCaller caller, OrgAccess access, KilnDb db, CredentialCache cache, TimeProvider clock,
        HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(credentialId, out var cid)) return ApiErrors.NotFound("Credential Not Found");
        return await SetAsync(db, cache, clock, Actor.Of(caller, ctx), org.OrgId, cid, ctx, ct);
    }

    private static async Task<Results<Ok<SubscriptionResultDto>, JsonHttpResult<ApiError>>> SetAsync(
        KilnDb db, CredentialCache cache, TimeProvider clock, Actor actor, long orgId, long credentialId, HttpContext ctx, CancellationToken ct)
    {
        var (body, bad) = await ConsoleJson.ReadAsync<List<ServiceRequest?>>(ctx.Request, ct);
        if (body is null) return bad!;
        if (CredentialsApi.SdkCodes(body) is not { } codes) return ApiErrors.BadRequest("each entry needs an sdkCode");
        var result = await CredentialOps.SetServicesAsync(db, cache, clock, actor, orgId, credentialId, codes, ct);
        if (result is null) return ApiErrors.NotFound("Credential Not Found");
        // The e2e expects exactly {sdkList:[...]} when nothing failed.
        return TypedResults.Ok(result with { ErrorList = result.ErrorList is { Count: > 0 } ? result.ErrorList : null });
    }

    public static async Task<Results<Ok<SubscriptionResultDto>, JsonHttpResult<ApiError>>> PatchAsync(
        string orgId, string credentialId, bool subscribe, ImsCaller caller, OrgAccess access, KilnDb db, CredentialCache cache,
        TimeProvider clock, HttpContext ctx, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is not { } org) return ApiErrors.NotFound("Organization Not Found");
        if (!Ids.TryParseId(credentialId, out var cid)) return ApiErrors.NotFound("Credential Not Found");
        var (body, bad) = await ConsoleJson.ReadAsync<ServiceRequest>(ctx.Request, ct);
        if (body is null) return bad!;
        if (string.IsNullOrWhiteSpace(body.SdkCode)) return ApiErrors.BadRequest("sdkCode is required");
        var actor = Actor.Of(caller, ctx);
        var result = subscribe
            ? await CredentialOps.SubscribeAsync(db, cache, clock, actor, org.OrgId, cid, body.SdkCode.Trim(), ct)
            : await CredentialOps.UnsubscribeAsync(db, cache, clock, actor, org.OrgId, cid, body.SdkCode.Trim(), ct);
        return result is null ? ApiErrors.NotFound("Credential Not Found") : TypedResults.Ok(result with { ErrorList = result.ErrorList ?? [] });
    }
}
