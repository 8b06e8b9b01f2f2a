using Kiln.Server.Console;
using Kiln.Server.Core;
using Kiln.Server.Ims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Kiln.Server.Upstream;

/// <summary>
/// The REST API of upstream profiles and engines (docs/upstream.md#rest-api), under the Console API's org path and its
/// gate (<c>adobeio_api</c>). Reading needs a role in the org; changing needs the org admin role. Another org's
/// profiles are 404, never 403.
/// </summary>
public static class UpstreamApi
{
    public static RouteGroupBuilder MapUpstream(this IEndpointRouteBuilder app)
    {
        var org = app.MapGroup("/console/organizations/{orgId}").WithTags("Upstream").RequireIms("adobeio_api").DisableAntiforgery()
            .WithErrorDialect(ErrorDialect.Gateway);
        org.MapGet("/upstreams", ListAsync);
        org.MapPost("/upstreams", AddAsync);
        org.MapDelete("/upstreams/{upstream}", RemoveAsync);
        org.MapPost("/upstreams/{upstream}/test", TestAsync);
        org.MapPost("/upstreams/{upstream}/rotate", RotateAsync);
        org.MapGet("/engine", (string orgId, ImsCaller caller, OrgAccess access, UpstreamProfiles profiles, CancellationToken ct) =>
            EngineAsync(orgId, null, caller, access, profiles, ct));
        org.MapPut("/engine", (string orgId, JsonBody<EngineBody> body, HttpContext ctx, ImsCaller caller, OrgAccess access, UpstreamProfiles profiles, CancellationToken ct) =>
            SetEngineAsync(orgId, null, body, ctx, caller, access, profiles, ct));
        org.MapGet("/projects/{projectId}/engine", (string orgId, string projectId, ImsCaller caller, OrgAccess access, UpstreamProfiles profiles, CancellationToken ct) =>
            EngineAsync(orgId, projectId, caller, access, profiles, ct));
        org.MapPut("/projects/{projectId}/engine", (string orgId, string projectId, JsonBody<EngineBody> body, HttpContext ctx, ImsCaller caller, OrgAccess access,
            UpstreamProfiles profiles, CancellationToken ct) => SetEngineAsync(orgId, projectId, body, ctx, caller, access, profiles, ct));
        return org;
    }

    /// <summary><c>{"engine": "procedural" | "upstream:NAME" | null}</c>; null on a project means "the org's".</summary>
    public sealed record EngineBody(string? Engine);

    private static readonly OpError NotAdmin = OpError.Forbidden("Only an org admin may change upstream profiles and engines");

    private static async Task<(OrgContext? Org, OpError? Error)> OrgAsync(OrgAccess access, ImsCaller caller, string orgId, bool write, CancellationToken ct)
    {
        var org = await access.OrgAsync(caller, orgId, ct);
        if (org is null) return (null, OpError.NotFound("Organization Not Found"));
        if (write && !org.IsAdmin) return (null, NotAdmin);
        return (org, null);
    }

    private static async Task<Results<Ok<List<UpstreamProfileDto>>, JsonHttpResult<ApiError>>> ListAsync(
        string orgId, ImsCaller caller, OrgAccess access, UpstreamProfiles profiles, CancellationToken ct)
    {
        var (org, error) = await OrgAsync(access, caller, orgId, write: false, ct);
        if (org is null) return error!.ToResult();
        return TypedResults.Ok(await profiles.ListAsync(org.OrgId, ct));
    }

    private static async Task<Results<Created<UpstreamProfileDto>, JsonHttpResult<ApiError>>> AddAsync(
        string orgId, bool? replace, JsonBody<UpstreamProfileRequest> body, HttpContext ctx, ImsCaller caller, OrgAccess access, UpstreamProfiles profiles, CancellationToken ct)
    {
        var (org, error) = await OrgAsync(access, caller, orgId, write: true, ct);
        if (org is null) return error!.ToResult();
        // Read by the Console's JSON reader: any content type, charset or malformed body is a 400, never a 500.
        if (body.Failed(out var bad, out var request)) return bad;
        if ((await profiles.AddAsync(org.OrgId, request, replace == true, Actor.Of(caller, ctx), ct)).Failed(out error, out var dto)) return error.ToResult();
        return TypedResults.Created($"/console/organizations/{orgId}/upstreams/{dto.Name}", dto);
    }

    private static async Task<Results<NoContent, JsonHttpResult<ApiError>>> RemoveAsync(
        string orgId, string upstream, HttpContext ctx, ImsCaller caller, OrgAccess access, UpstreamProfiles profiles, CancellationToken ct)
    {
        var (org, error) = await OrgAsync(access, caller, orgId, write: true, ct);
        if (org is null) return error!.ToResult();
        if ((await profiles.RemoveAsync(org.OrgId, upstream, Actor.Of(caller, ctx), ct)).Failed(out error, out _)) return error.ToResult();
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<UpstreamTestResult>, JsonHttpResult<ApiError>>> TestAsync(
        string orgId, string upstream, ImsCaller caller, OrgAccess access, UpstreamProfiles profiles, CancellationToken ct)
    {
        var (org, error) = await OrgAsync(access, caller, orgId, write: true, ct);
        if (org is null) return error!.ToResult();
        if (await profiles.FindAsync(org.OrgId, upstream, ct) is not { } p) return OpError.NotFound($"No upstream profile named '{upstream}'").ToResult();
        return TypedResults.Ok(await profiles.TestAsync(p, ct));
    }

    private static async Task<Results<Ok<UpstreamRotationResult>, JsonHttpResult<ApiError>>> RotateAsync(
        string orgId, string upstream, ImsCaller caller, OrgAccess access, UpstreamRotation rotation, CancellationToken ct)
    {
        var (org, error) = await OrgAsync(access, caller, orgId, write: true, ct);
        if (org is null) return error!.ToResult();
        // The rotation outlives the request if the client goes away: a half-done rotation is worse than a finished one.
        return TypedResults.Ok(await rotation.RotateAsync(org.OrgId, upstream, caller.Actor, CancellationToken.None));
    }

    private static async Task<Results<Ok<EngineSetting>, JsonHttpResult<ApiError>>> EngineAsync(
        string orgId, string? projectId, ImsCaller caller, OrgAccess access, UpstreamProfiles profiles, CancellationToken ct)
    {
        var (org, error) = await OrgAsync(access, caller, orgId, write: false, ct);
        if (org is null) return error!.ToResult();
        long? pid = null;
        if (projectId is not null) { if (!Ids.TryParseId(projectId, out var p)) return OpError.NotFound("Project Not Found").ToResult(); pid = p; }
        if ((await profiles.EngineAsync(org.OrgId, pid, ct)).Failed(out error, out var setting)) return error.ToResult();
        return TypedResults.Ok(setting);
    }

    private static async Task<Results<Ok<EngineSetting>, JsonHttpResult<ApiError>>> SetEngineAsync(
        string orgId, string? projectId, JsonBody<EngineBody> body, HttpContext ctx, ImsCaller caller, OrgAccess access, UpstreamProfiles profiles, CancellationToken ct)
    {
        var (org, error) = await OrgAsync(access, caller, orgId, write: true, ct);
        if (org is null) return error!.ToResult();
        long? pid = null;
        if (projectId is not null) { if (!Ids.TryParseId(projectId, out var p)) return OpError.NotFound("Project Not Found").ToResult(); pid = p; }
        if (body.Failed(out var bad, out var request)) return bad;
        if ((await profiles.SetEngineAsync(org.OrgId, pid, request.Engine, Actor.Of(caller, ctx), ct)).Failed(out error, out var setting)) return error.ToResult();
        return TypedResults.Ok(setting);
    }
}
