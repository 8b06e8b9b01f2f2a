namespace Kiln.Server.Hosting;

/// <summary>
/// Builds every endpoint's request delegate while <see cref="KilnInitializer"/> does the database work, so that the
/// first request does not build them all before it is answered (docs/benchmarks.md#start-up). The endpoints are the
/// app's own data sources, handed over by <see cref="KilnApp.UseKiln"/> once everything is mapped.
/// </summary>
public sealed class EndpointWarmup(ILogger<EndpointWarmup> log)
{
    private ICollection<EndpointDataSource>? _sources;

    public void Use(ICollection<EndpointDataSource> sources) => _sources = sources;

    /// <summary>Enumerates the endpoints on a pool thread. Done before the server listens, so nothing reads them at the same time.</summary>
    public Task StartAsync() => _sources is not { } sources ? Task.CompletedTask : Task.Run(() =>
    {
        try
        {
            var count = sources.ToList().Sum(s => s.Endpoints.Count);
            log.LogDebug("Built {Count} endpoints before listening", count);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // The first request builds them again and reports the same error there, with its request id.
            log.LogWarning(e, "Building the endpoints ahead of the first request failed");
        }
    });
}
