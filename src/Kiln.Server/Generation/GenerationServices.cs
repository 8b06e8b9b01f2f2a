using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Kiln.Server.Generation;

public static class GenerationServices
{
    /// <summary>
    /// Registers the built-in procedural engine as the <see cref="IImageGenerator"/>, unless the host already supplied
    /// one (a hosting startup runs before the app registers its services).
    /// </summary>
    public static IServiceCollection AddGeneration(this IServiceCollection services)
    {
        services.TryAddSingleton<IImageGenerator, ProceduralImageGenerator>();
        return services;
    }
}
