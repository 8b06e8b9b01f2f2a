using System.Globalization;
using Kiln.Server.Ims;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

[assembly: HostingStartup(typeof(Kiln.TestSupport.ShortTokenStartup))]

namespace Kiln.TestSupport;

/// <summary>
/// Loaded like <see cref="SlowGeneratorStartup"/>. With <see cref="LifetimeVariable"/> set, a <c>kiln serve</c> child
/// process issues access tokens that live that many seconds, below the floor that <c>Kiln:Ims:TokenLifetime</c>
/// enforces (docs/configuration.md#configuration), so a test can watch tokens expire mid-load. The configured settings still
/// pass validation; only the <see cref="IOptions{ImsOptions}"/> that the token issuer reads carries the short lifetime.
/// </summary>
public sealed class ShortTokenStartup : IHostingStartup
{
    /// <summary>The environment variable a <c>kiln serve</c> child process reads (whole seconds).</summary>
    public const string LifetimeVariable = "KILN_TEST_TOKEN_LIFETIME_SECONDS";

    public void Configure(IWebHostBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!int.TryParse(Environment.GetEnvironmentVariable(LifetimeVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds <= 0) return;
        // Registered before Kiln adds its options: this closed IOptions<ImsOptions> wins over the open generic one.
        builder.ConfigureServices(services => services.AddSingleton<IOptions<ImsOptions>>(sp =>
        {
            var options = sp.GetRequiredService<IOptionsFactory<ImsOptions>>().Create(Options.DefaultName);
            options.TokenLifetime = TimeSpan.FromSeconds(seconds);
            return Options.Create(options);
        }));
    }
}
