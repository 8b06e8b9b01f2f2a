using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OpenTelemetry.Metrics;

namespace Kiln.Server.Hosting.Telemetry;

/// <summary>
/// The metrics listener: a second, minimal Kestrel on <c>Kiln:Metrics:Urls</c> that serves only <c>/metrics</c>
/// (Prometheus text format, from the application's meter provider) to the callers <see cref="MetricsAccess"/> allows.
/// The public listener has no <c>/metrics</c> route. See docs/operations.md#metrics.
/// </summary>
public sealed class MetricsListener(IServiceProvider services, IConfiguration config, ILogger<MetricsListener> log) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>The addresses it listens on, once started (the port chosen for ":0").</summary>
    public IReadOnlyCollection<string> Addresses => _app?.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var access = MetricsAccess.From(config);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseUrls(access.Urls);
        builder.Services.AddOptions();
        var app = builder.Build();
        var provider = services.GetRequiredService<MeterProvider>();
        app.Use((ctx, next) =>
        {
            if (!access.Allows(ctx))
            {
                ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            }
            return next(ctx);
        });
        app.UseOpenTelemetryPrometheusScrapingEndpoint(provider, ctx => ctx.Request.Path == "/metrics", null, null, null);
        app.Run(ctx =>
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        await app.StartAsync(cancellationToken);
        _app = app;
        log.LogInformation("Metrics for Prometheus at {Urls}/metrics", string.Join(", ", Addresses));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null) await _app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
    }
}
