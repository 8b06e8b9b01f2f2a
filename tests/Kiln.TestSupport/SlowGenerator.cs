using Kiln.Server.Generation;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.TestSupport;

/// <summary>
/// Waits <paramref name="delay"/> before each image, then renders with <paramref name="inner"/>, so a test can catch a
/// sync request or a job mid-flight. The wait is on the wall clock on purpose: a test's fake clock must not freeze it.
/// </summary>
public sealed class SlowGenerator(IImageGenerator inner, TimeSpan delay) : IImageGenerator
{
    /// <summary>The environment variable a <c>kiln serve</c> child process reads (milliseconds; see <see cref="SlowGeneratorStartup"/>).</summary>
    public const string DelayVariable = "KILN_TEST_GENERATOR_DELAY_MS";

    public async Task<GeneratedImage> GenerateAsync(GenerationRequest request, IProgress<double>? progress, CancellationToken ct)
    {
        await Task.Delay(delay, ct);
        return await inner.GenerateAsync(request, progress, ct);
    }

    /// <summary>Wraps the registered <see cref="IImageGenerator"/> (the last one) in a <see cref="SlowGenerator"/>.</summary>
    public static IServiceCollection Decorate(IServiceCollection services, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(services);
        var inner = services.LastOrDefault(d => d.ServiceType == typeof(IImageGenerator))
            ?? throw new InvalidOperationException("No IImageGenerator is registered to slow down.");
        services.Remove(inner);
        services.AddSingleton<IImageGenerator>(sp => new SlowGenerator(Create(sp, inner), delay));
        return services;
    }

    private static IImageGenerator Create(IServiceProvider sp, ServiceDescriptor d) =>
        (IImageGenerator)(d.ImplementationInstance
            ?? d.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, d.ImplementationType!));
}
