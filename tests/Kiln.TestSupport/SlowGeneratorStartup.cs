using System.Globalization;
using Kiln.Server.Generation;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

[assembly: HostingStartup(typeof(Kiln.TestSupport.SlowGeneratorStartup))]

namespace Kiln.TestSupport;

/// <summary>
/// Loaded into a <c>kiln serve</c> child process only when the test sets <c>ASPNETCORE_HOSTINGSTARTUPASSEMBLIES=Kiln.TestSupport</c>
/// (and <c>DOTNET_ADDITIONAL_DEPS</c>, so the host can resolve this assembly; see KilnProcess). With
/// <see cref="SlowGenerator.DelayVariable"/> set it supplies the engine as a <see cref="SlowGenerator"/> around the
/// built-in one. Hosting startups run before the app registers its services, and the app registers its engine
/// only when none is registered yet, so this one is used.
/// </summary>
public sealed class SlowGeneratorStartup : IHostingStartup
{
    public void Configure(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!int.TryParse(Environment.GetEnvironmentVariable(SlowGenerator.DelayVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms <= 0) return;
        builder.ConfigureServices(services =>
            services.AddSingleton<IImageGenerator>(new SlowGenerator(new ProceduralImageGenerator(), TimeSpan.FromMilliseconds(ms))));
    }
}
