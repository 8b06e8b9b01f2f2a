using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Kiln.Server.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary><c>GET /console/organizations</c> and <c>GET /console/organizations/{orgId}/services</c>.</summary>
public static class OrgsApi
{
    public static RouteGroupBuilder MapOrganizations(this RouteGroupBuilder console)
    {
        console.MapGet("/organizations", ListAsync).WithName("ListOrganizations");
        console.MapGet("/organizations/{orgId}/services", ServicesAsync).WithName("ListServices");
        return console;
    }

    public static async Task<Ok<List<OrgDto>>> ListAsync(ImsCaller caller, KilnDb db, CancellationToken ct)
    {
        List<(Org Org, string Role)> orgs;
        if (caller.IsCredential)
            orgs = caller.HasScope("adobeio_api") && await db.Orgs.AsNoTracking().FirstOrDefaultAsync(o => o.Id == caller.OrgId, ct) is { } own
                ? [(own, Roles.Developer)] : [];
        else
            orgs = await Memberships.OrgsOfAsync(db, caller, ct); // a user token: its own org only
        return TypedResults.Ok(orgs.Select(x => new OrgDto(ConsoleJson.Str(x.Org.Id), x.Org.Code, x.Org.Name, x.Org.Description, x.Org.Type,
            x.Role, [x.Role])).ToList());
    }

    public static async Task<Results<Ok<List<ServiceDto>>, JsonHttpResult<ApiError>>> ServicesAsync(
        string orgId, string? sdkCodes, ImsCaller caller, OrgAccess access, CancellationToken ct)
    {
        if (await access.OrgAsync(caller, orgId, ct) is null) return ApiErrors.NotFound("Organization Not Found");
        var wanted = Services.ParseScopes(sdkCodes);
        var list = Services.All.Where(s => wanted.Count == 0 || wanted.Contains(s.Code, StringComparer.OrdinalIgnoreCase))
            .Select(s => new ServiceDto(s.Name, s.Code, s.Description, true, "adobeid", ["apiKey", "entp"], null,
                new LicenseConfigsDto([]), false, true, [], s.Scopes))
            .ToList();
        return TypedResults.Ok(list);
    }
}
