using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Generation;

namespace Kiln.Server.Firefly;

public sealed partial class ImageRunner
{
    /// <summary>A rendered request: its result, and the rows for the JPEGs already in the blob store.</summary>
    private sealed record Rendered(RunResult Result, List<StoredBlob> Rows);

    /// <summary>One rendered variation: its output, its row and the content class the generator chose.</summary>
    private sealed record Piece(StoredOutput Output, StoredBlob Row, string? ContentClass);

    /// <summary>
    /// Loads the resolved inputs and renders every variation (in parallel, bounded by the pool), storing each JPEG as it
    /// is done. <paramref name="progress"/> gets 0..100. <paramref name="outputId"/> (a job's) makes the output keys
    /// deterministic; null: random keys.
    /// </summary>
    private async Task<Checked<Rendered>> RenderAsync(ImageSpec spec, long orgId, IProgress<int>? progress, string? outputId, CancellationToken ct)
    {
        // The span "kiln.images.render" (docs/operations.md#traces): loading the inputs, every variation and its store.
        using var span = KilnTelemetry.Start("kiln.images.render");
        var operation = Operations.PathOf(spec.Operation);
        var engine = Engines.Of(spec);
        span?.SetTag(KilnTelemetry.OrgId, orgId);
        span?.SetTag(KilnTelemetry.Operation, operation);
        span?.SetTag(KilnTelemetry.Engine, engine);
        span?.SetTag("kiln.variations", spec.Seeds.Count);
        var outcome = await RenderCoreAsync(spec, orgId, progress, outputId, operation, engine, ct);
        if (outcome.Failed(out var refused, out _)) span.Fail(refused.Code);
        return outcome;
    }

    private async Task<Checked<Rendered>> RenderCoreAsync(ImageSpec spec, long orgId, IProgress<int>? progress, string? outputId, string operation, string engine,
        CancellationToken ct)
    {
        var inputs = new byte[]?[4];
        SourceRef?[] given = [spec.Source, spec.Mask, spec.StyleReference, spec.StructureReference];
        for (var i = 0; i < given.Length; i++)
        {
            if (given[i] is not { } s) continue;
            if ((await sources.LoadAsync(spec, s, ct)).Failed(out var refusal, out var bytes)) return refusal;
            inputs[i] = bytes;
        }
        var (source, mask, styleRef, structureRef) = (inputs[0], inputs[1], inputs[2], inputs[3]);

        int width, height;
        if (spec.Width is { } w && spec.Height is { } h) (width, height) = (w, h);
        else if (source is not null && ImageInspector.Dimensions(source) is { } d) (width, height) = (Math.Min(d.Width, 4096), Math.Min(d.Height, 4096));
        else (width, height) = (2048, 2048);
        if (spec.Operation == ImageOperation.Fill && mask is not null && ImageInspector.Dimensions(mask) is { } md && Math.Max(md.Width, md.Height) < 600)
            return Refusal.Invalid(SourceResolver.LocOf(spec, spec.Mask!), "the mask's larger side must be at least 600 px");

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
                return new Checked<Piece>(Refusal.Invalid(SourceResolver.LocOf(spec, spec.Source ?? spec.Mask!), e.Message));
            }
            var id = outputId is null ? Guid.NewGuid().ToString("N") : $"{outputId}-{i}";
            var key = $"outputs/{orgId}/{id}.jpg";
            using (var ms = new MemoryStream(image.Jpeg, writable: false)) await store.PutAsync(key, ms, "image/jpeg", ct);
            metrics.ImageProduced(operation, engine);
            Report(i, 1);
            var row = new StoredBlob { Id = id, OrgId = orgId, Kind = "output", Key = key, ContentType = "image/jpeg", Size = image.Jpeg.Length, CreatedAt = now, ExpiresAt = now + options.Value.ResultLifetime };
            return new Checked<Piece>(new Piece(new StoredOutput(seed, key), row, image.ContentClass));
        }, ct)).ToList();

        var results = new List<Piece>();
        foreach (var piece in await Task.WhenAll(tasks))
        {
            if (piece.Failed(out var refusal, out var finished)) return refusal;
            results.Add(finished);
        }
        var contentClass = Operations.EchoesContentClass(spec.Operation) ? spec.ContentClass ?? results[0].ContentClass : null;
        return new Rendered(new RunResult(width, height, contentClass, results.Select(r => r.Output).ToList()), results.Select(r => r.Row).ToList());
    }
}
