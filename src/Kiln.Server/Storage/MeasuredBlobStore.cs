using System.Diagnostics;
using Kiln.Server.Core;

namespace Kiln.Server.Storage;

/// <summary>
/// Wraps the blob store (local disk or S3) so each call is a span ("kiln.blob.put", "kiln.blob.read", ...) and each
/// failure counts in <c>kiln.blob.errors</c> (docs/operations.md#metrics). The S3 SDK's own HTTP calls appear as child
/// spans through the HttpClient instrumentation. Keys are recorded; they name an org and a random id, nothing secret.
/// </summary>
public sealed class MeasuredBlobStore(IBlobStore inner, KilnMetrics metrics) : IBlobStore, IDisposable
{
    public IBlobStore Inner => inner;

    public Task RunAsync(IServiceProvider services, CancellationToken ct) => inner.RunAsync(services, ct);

    public Task PutAsync(string key, Stream content, string contentType, CancellationToken ct = default) =>
        MeasureAsync("put", key, () => inner.PutAsync(key, content, contentType, ct), content.CanSeek ? content.Length : null);

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken ct = default)
    {
        Stream? opened = null;
        await MeasureAsync("read", key, async () => opened = await inner.OpenReadAsync(key, ct));
        return opened;
    }

    public async Task<bool> ExistsAsync(string key, CancellationToken ct = default)
    {
        var exists = false;
        await MeasureAsync("exists", key, async () => exists = await inner.ExistsAsync(key, ct));
        return exists;
    }

    public Task DeleteAsync(string key, CancellationToken ct = default) => MeasureAsync("delete", key, () => inner.DeleteAsync(key, ct));

    public Task<string> GetDownloadUrlAsync(string key, TimeSpan lifetime, CancellationToken ct = default) => inner.GetDownloadUrlAsync(key, lifetime, ct);

    public string? KeyFromOwnUrl(Uri url) => inner.KeyFromOwnUrl(url);

    private async Task MeasureAsync(string call, string key, Func<Task> work, long? size = null)
    {
        using var span = KilnTelemetry.Start("kiln.blob." + call, ActivityKind.Client);
        span?.SetTag("kiln.blob.key", key);
        if (size is { } n) span?.SetTag("kiln.blob.size", n);
        try
        {
            await work();
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            metrics.BlobError(call);
            span.Fail(e.GetType().Name);
            throw;
        }
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();
}
