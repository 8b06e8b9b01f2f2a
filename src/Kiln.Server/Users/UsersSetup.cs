using Kiln.Server.Console;
using Kiln.Server.Hosting;
using Kiln.Server.Ims;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Users;

/// <summary>Registration of the user-accounts feature.</summary>
public static class UsersSetup
{
    public static IServiceCollection AddUsers(this IServiceCollection services)
    {
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccountOptions>, AccountOptions.Validator>();
        services.AddSingleton<UserCache>();
        services.AddSingleton<IUserTokenCheck, UserTokenCheck>();
        services.AddSingleton<IGrantHandler, DeviceGrantHandler>();
        services.AddScoped<IOrgRoleSource, MembershipRoles>();
        services.AddScoped<IOrgDirectory, MembershipDirectory>();
        services.AddSingleton<IStartupTask, FirstAdmin>();
        return services;
    }

    /// <summary>The feature's endpoints: the device-authorization request (the grant itself plugs into the token endpoint).</summary>
    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder app)
    {
        app.MapDeviceCode();
        return app;
    }
}
