using Kiln.Server.Users;

namespace Kiln.Server.Console;

/// <summary>
/// Registration of the console's operations: scoped services, one set for the REST API and the web UI, each with
/// the request's <c>KilnDb</c>. The client-secret rules are <c>Ims.ClientSecrets</c> (registered by <c>AddIms</c>).
/// </summary>
public static class ConsoleSetup
{
    public static IServiceCollection AddConsole(this IServiceCollection services)
    {
        services.AddScoped<OrgAccess>();
        services.AddScoped<ProjectOps>();
        services.AddScoped<WorkspaceOps>();
        services.AddScoped<CredentialOps>();
        services.AddScoped<SecretOps>();
        services.AddScoped<WorkspaceFiles>();
        services.AddScoped<Members>();
        services.AddConsoleBodies();
        return services;
    }
}
