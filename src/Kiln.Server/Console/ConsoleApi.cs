using Kiln.Server.Ims;

namespace Kiln.Server.Console;

/// <summary>
/// The Console REST API (docs/console.md#endpoints, docs/console.md#decisions) under <c>/console</c>. Every route needs a token with
/// <c>adobeio_api</c>: a user token (role from membership) or a credential subscribed to the I/O Management API
/// (<c>developer</c> in its own org). The secrets and audit routes are mapped separately.
/// </summary>
public static class ConsoleApi
{
    public static RouteGroupBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        var console = app.MapGroup("/console").WithTags("Console").RequireIms("adobeio_api").DisableAntiforgery();
        console.MapOrganizations();
        console.MapProjects();
        console.MapWorkspaces();
        console.MapCredentials();
        console.MapSubscriptions();
        console.MapWorkspaceDownload();
        console.MapMembers();
        console.MapQuotas();
        console.MapUsage();
        return console;
    }
}
