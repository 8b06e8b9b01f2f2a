using System.Text.Json;
using Kiln.Server.Data;
using Kiln.Server.Generation;
using Kiln.Server.Storage;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

public sealed record StoredOutput(int Seed, string Key);

/// <summary>A finished request as stored: blob keys, not URLs (URLs are signed when read).</summary>
public sealed record RunResult(int Width, int Height, string? ContentClass, List<StoredOutput> Outputs)
{
    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);
    public static RunResult FromJson(string json) => JsonSerializer.Deserialize<RunResult>(json, JsonSerializerOptions.Web)!;
}

/// <summary>Runs a resolved <see cref="ImageSpec"/>: loads inputs, renders each variation in the pool, stores the JPEGs.</summary>
public sealed class ImageRunner(
    IImageGenerator generator, RenderPool pool, SourceResolver sources, IBlobStore store, TimeProvider clock, IOptions<FireflyOptions> options)
{
    /// <summary>
    /// Renders every variation (in parallel, bounded by the pool). <paramref name="progress"/> gets 0..100.
    /// <paramref name="outputId"/> (a job's) makes the output keys deterministic, so a retried job overwrites
    /// its earlier attempt's files instead of adding new ones; null: random keys.
    /// </summary>
    public async Task<(RunResult Result, List<StoredBlob> Blobs)> RunAsync(
        ImageSpec spec, long orgId, IProgress<int>? progress, CancellationToken ct, string? outputId = null)
    {
        var source = await sources.LoadAsync(spec, spec.Source, ct);
        var mask = await sources.LoadAsync(spec, spec.Mask, ct);
        var styleRef = await sources.LoadAsync(spec, spec.StyleReference, ct);
        var structureRef = await sources.LoadAsync(spec, spec.StructureReference, ct);

        int width, height;
        if (spec.Width is { } w && spec.Height is { } h) (width, height) = (w, h);
        else if (source is not null && ImageInspector.Dimensions(source) is { } d) (width, height) = (Math.Min(d.Width, 4096), Math.Min(d.Height, 4096));
        else (width, height) = (2048, 2048);
        if (spec.Operation == ImageOperation.Fill && mask is not null && ImageInspector.Dimensions(mask) is { } md && Math.Max(md.Width, md.Height) < 600)
            throw FireflyException.Invalid(SourceResolver.LocOf(spec, spec.Mask!), "the mask's larger side must be at least 600 px");

        var done = new double[spec.Seeds.Count];
        void Report(int i, double f)
        {
            done[i] = f;
            progress?.Report((int)Math.Floor(done.Sum() / done.Length * 100));
        }

        var now = clock.GetUtcNow();
        var tasks = spec.Seeds.Select((seed, i) => pool.RunAsync(async () =>
        {
            var request = new GenerationRequest
            {
                Operation = spec.Operation, Width = width, Height = height, Seed = seed,
                Prompt = spec.Prompt, NegativePrompt = spec.NegativePrompt, ContentClass = spec.ContentClass,
                StylePresets = spec.StylePresets, StyleStrength = spec.StyleStrength, VisualIntensity = spec.VisualIntensity,
                Tileable = spec.Tileable, Source = source, Mask = mask, InvertMask = spec.InvertMask, Placement = spec.Placement,
                StyleReference = styleRef, StructureReference = structureRef, StructureStrength = spec.StructureStrength,
            };
            GeneratedImage image;
            try
            {
                image = await generator.GenerateAsync(request, new Progress<double>(f => Report(i, Math.Clamp(f, 0, 0.99))), ct);
            }
            catch (InvalidImageInputException e)
            {
                throw FireflyException.Invalid(SourceResolver.LocOf(spec, spec.Source ?? spec.Mask!), e.Message);
            }
            var id = outputId is null ? Guid.NewGuid().ToString("N") : $"{outputId}-{i}";
            var key = $"outputs/{orgId}/{id}.jpg";
            using (var ms = new MemoryStream(image.Jpeg, writable: false)) await store.PutAsync(key, ms, "image/jpeg", ct);
            Report(i, 1);
            var blob = new StoredBlob { Id = id, OrgId = orgId, Kind = "output", Key = key, ContentType = "image/jpeg", Size = image.Jpeg.Length, CreatedAt = now, ExpiresAt = now + options.Value.ResultLifetime };
            return (Output: new StoredOutput(seed, key), Blob: blob, image.ContentClass);
        }, ct)).ToList();

        var results = await Task.WhenAll(tasks);
        var contentClass = Operations.EchoesContentClass(spec.Operation) ? spec.ContentClass ?? results[0].ContentClass : null;
        return (new RunResult(width, height, contentClass, results.Select(r => r.Output).ToList()), results.Select(r => r.Blob).ToList());
    }
}
