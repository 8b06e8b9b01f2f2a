using System.Collections.Concurrent;
using Kiln.Server.Data;
using Kiln.Server.Quotas;
using Kiln.Server.Storage;

namespace Kiln.Server.Firefly;

/// <summary>
/// The operation-level seam for image engines (docs/architecture.md#an-image-request): a validated request whose sources
/// are resolved goes in; images and their seeds come out, each handed to the runner's <see cref="EngineOutputs"/>,
/// which stores them. Validation, engine choice, quotas, storage, jobs and URLs are the <see cref="ImageRunner"/>'s, the
/// same for every engine. The built-in <see cref="ProceduralEngine"/> serves <c>procedural</c>; the upstream engine
/// (docs/upstream.md) serves <c>upstream:&lt;name&gt;</c>. A rule failure is a <see cref="Refusal"/>; an outage of
/// Kiln's own (database, disk, S3) is an exception, as everywhere.
/// </summary>
public interface IImageEngine
{
    /// <summary>Whether this engine runs the engine named <paramref name="engine"/> (<see cref="EngineNames"/>).</summary>
    bool Serves(string engine);

    /// <summary>Runs the request. For a job, <see cref="EngineRequest.Job"/> is set and the engine may save its own state there.</summary>
    Task<Checked<EngineResult>> RunAsync(EngineRequest request, EngineOutputs outputs, CancellationToken ct);

    /// <summary>A job was canceled by its client: stop any work the engine started elsewhere (best effort).</summary>
    Task CancelAsync(long orgId, string engine, EngineJob job, CancellationToken ct);
}

/// <summary>
/// One run: the resolved spec, the org, the engine's name, where progress goes (0..100), the job when async, and who the
/// request is metered to (an upstream engine counts the upstream's 429s there: docs/upstream.md#quotas-and-usage).
/// </summary>
public sealed record EngineRequest(ImageSpec Spec, long OrgId, string Engine, IProgress<int>? Progress, EngineJob? Job, Metered Who);

/// <summary>
/// An async job as an engine sees it: its id, the state the engine saved on an earlier attempt (an upstream job, so a
/// restart resumes instead of starting over), and how to save that state (false: this node no longer holds the job).
/// </summary>
public sealed record EngineJob(string Id, string? State, Func<string, Task<bool>> SaveStateAsync);

/// <summary>What an engine made: the output size, the content class it echoes, and the stored outputs in order.</summary>
public sealed record EngineResult(int Width, int Height, string? ContentClass, IReadOnlyList<StoredOutput> Outputs);

/// <summary>The engine names: <c>procedural</c> (the default) or <c>upstream:&lt;profile name&gt;</c>.</summary>
public static class EngineNames
{
    public const string Procedural = "procedural";
    public const string UpstreamPrefix = "upstream:";

    /// <summary>The upstream profile an engine name points at, or null for the built-in engine.</summary>
    public static string? UpstreamOf(string engine) =>
        engine.StartsWith(UpstreamPrefix, StringComparison.Ordinal) ? engine[UpstreamPrefix.Length..] : null;
}

/// <summary>
/// Where an engine puts its images: each is written to the blob store with its <see cref="StoredBlob"/> row (the runner
/// saves the rows with the result), or, for an upstream in pass-through mode, kept as the upstream's URL. Keys are
/// fixed per job (a retry overwrites an earlier attempt's files) and random for sync requests.
/// </summary>
public sealed class EngineOutputs(IBlobStore store, long orgId, string? outputId, DateTimeOffset now, TimeSpan lifetime)
{
    private readonly ConcurrentDictionary<int, StoredBlob> _rows = new();

    /// <summary>The rows of the stored files, in output order.</summary>
    public List<StoredBlob> Rows => _rows.OrderBy(r => r.Key).Select(r => r.Value).ToList();

    /// <summary>Stores output number <paramref name="index"/> (0-based) and returns it.</summary>
    public async Task<StoredOutput> StoreAsync(int index, int seed, byte[] image, string contentType, CancellationToken ct)
    {
        var id = outputId is null ? Guid.NewGuid().ToString("N") : $"{outputId}-{index}";
        var ext = contentType switch { "image/png" => "png", "image/webp" => "webp", _ => "jpg" };
        var key = $"outputs/{orgId}/{id}.{ext}";
        using (var ms = new MemoryStream(image, writable: false)) await store.PutAsync(key, ms, contentType, ct);
        _rows[index] = new StoredBlob { Id = id, OrgId = orgId, Kind = "output", Key = key, ContentType = contentType, Size = image.Length, CreatedAt = now, ExpiresAt = now + lifetime };
        return new StoredOutput(seed, key);
    }

    /// <summary>An output left where the upstream keeps it (pass-through mode): the client gets this URL as it is.</summary>
    public static StoredOutput PassThrough(int seed, string url) => new(seed, "", url);
}
