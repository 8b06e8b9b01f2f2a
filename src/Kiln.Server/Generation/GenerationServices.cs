namespace Kiln.Server.Generation;

public static class GenerationServices
{
    /// <summary>Registers the built-in procedural engine as the <see cref="IImageGenerator"/>.</summary>
    public static IServiceCollection AddGeneration(this IServiceCollection services)
    {
        services.AddSingleton<IImageGenerator, ProceduralImageGenerator>();
        return services;
    }
}
