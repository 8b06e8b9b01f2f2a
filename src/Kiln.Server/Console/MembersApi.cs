using Kiln.Server.Core;
using Kiln.Server.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using J = System.Text.Json.Serialization.JsonPropertyNameAttribute;

namespace Kiln.Server.Console;

public sealed record MemberDto([property: J("user_id")] string UserId, [property: J("email")] string Email, [property: J("role")] string Role,
    [property: J("roles")] IReadOnlyList<string> Roles, [property: J("date_added")] string DateAdded, [property: J("disabled")] bool Disabled);

/// <summary>The member add answer; <c>password</c> is present (once) only when the add created the account.</summary>
public sealed record AddedMemberDto([property: J("user_id")] string UserId, [property: J("email")] string Email, [property: J("role")] string Role,
    [property: J("roles")] IReadOnlyList<string> Roles, [property: J("date_added")] string DateAdded, [property: J("disabled")] bool Disabled,
    [property: J("password"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Password);

/// <summary>
/// Org members (a Kiln extension; admins only). Developers get 403, other orgs 404.
/// <c>GET/POST .../members</c>, <c>PATCH/DELETE .../members/{userId}</c>.
/// </summary>
public static class MembersApi
{
    public static RouteGroupBuilder MapMembers(this RouteGroupBuilder console)
    {
        var g = console.MapGroup("/organizations/{orgId}/members");
        g.MapGet("/", ListAsync).WithName("ListMembers");
        g.MapPost("/", AddAsync).WithName("AddMember");
        g.MapPatch("/{userId}", PatchAsync).WithName("ChangeMemberRole");
        g.MapDelete("/{userId}", RemoveAsync).WithName("RemoveMember");
        return g;
    }

    public static async Task<Results<Ok<List<MemberDto>>, JsonHttpResult<ApiError>>> ListAsync(
        string orgId, ImsCaller caller, OrgAccess access, Members members, CancellationToken ct)
    {
        if (await AdminOrgAsync(caller, access, orgId, ct) is not { } org) return Refusal(await access.OrgAsync(caller, orgId, ct));
        return TypedResults.Ok((await members.ListAsync(org.OrgId, ct)).Select(AsDto).ToList());
    }

    public static async Task<Results<Created<AddedMemberDto>, JsonHttpResult<ApiError>>> AddAsync(
        string orgId, JsonBody<MemberAddRequest> request, ImsCaller caller, OrgAccess access, Members members, HttpContext ctx, CancellationToken ct)
    {
        if (await AdminOrgAsync(caller, access, orgId, ct) is not { } org) return Refusal(await access.OrgAsync(caller, orgId, ct));
        if (request.Failed(out var bad, out var body)) return bad;
        if ((await members.AddAsync(Actor.Of(caller, ctx), org.OrgId, body.Email, body.Role, ct)).Failed(out var error, out var added))
            return error.ToResult();
        var m = AsDto(added.Member);
        if (added.NewPassword is not null) OAuthErrors.NoStore(ctx);
        return TypedResults.Created($"/console/organizations/{orgId}/members/{m.UserId}",
            new AddedMemberDto(m.UserId, m.Email, m.Role, m.Roles, m.DateAdded, m.Disabled, added.NewPassword));
    }

    public static async Task<Results<Ok<MemberDto>, JsonHttpResult<ApiError>>> PatchAsync(
        string orgId, string userId, JsonBody<MemberPatchRequest> request, ImsCaller caller, OrgAccess access, Members members, HttpContext ctx,
        CancellationToken ct)
    {
        if (await AdminOrgAsync(caller, access, orgId, ct) is not { } org) return Refusal(await access.OrgAsync(caller, orgId, ct));
        if (!Ids.TryParseId(userId, out var uid)) return ApiErrors.NotFound("Member Not Found");
        if (request.Failed(out var bad, out var body)) return bad;
        var changed = await members.SetRoleAsync(Actor.Of(caller, ctx), org.OrgId, uid, body.Role, ct);
        return changed.Failed(out var error, out var member) ? error.ToResult() : TypedResults.Ok(AsDto(member));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> RemoveAsync(
        string orgId, string userId, ImsCaller caller, OrgAccess access, Members members, HttpContext ctx, CancellationToken ct)
    {
        if (await AdminOrgAsync(caller, access, orgId, ct) is not { } org) return Refusal(await access.OrgAsync(caller, orgId, ct));
        if (!Ids.TryParseId(userId, out var uid)) return ApiErrors.NotFound("Member Not Found");
        var error = await members.RemoveAsync(Actor.Of(caller, ctx), org.OrgId, uid, ct);
        return error is not null ? error.ToResult() : TypedResults.NoContent();
    }

    private static async Task<OrgContext?> AdminOrgAsync(ImsCaller caller, OrgAccess access, string orgId, CancellationToken ct) =>
        await access.OrgAsync(caller, orgId, ct) is { IsAdmin: true } org ? org : null;

    /// <summary>Another org (or none) is 404; an org where the caller is only a developer is 403.</summary>
    private static JsonHttpResult<ApiError> Refusal(OrgContext? org) =>
        org is null ? ApiErrors.NotFound("Organization Not Found") : ApiErrors.Forbidden("Only organization admins may manage members.");

    private static MemberDto AsDto(Member m) =>
        new(ConsoleJson.Str(m.UserId), m.Email, m.Role, [m.Role], ConsoleJson.Iso(m.AddedAt), m.Disabled);
}
