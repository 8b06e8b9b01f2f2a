using Kiln.Server.Core;
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
        services.AddSingleton<IStartupTask, FirstAdmin>();
        return services;
    }
}
