using Kiln.Server.Generation;

namespace Kiln.Server.Firefly;

/// <summary>
/// The built-in engine (<c>procedural</c>): loads the resolved inputs and renders every variation with
/// <see cref="IImageGenerator"/> in the <see cref="RenderPool"/> (in parallel, bounded by the pool), handing each JPEG
/// to the <see cref="EngineOutputs"/> as it is done. A sync request is admitted to the pool first; a full pool is
/// refused with <see cref="Busy"/>.
/// </summary>
public sealed class ProceduralEngine(IImageGenerator generator, RenderPool pool, SourceResolver sources) : IImageEngine
{
    /// <summary>What a sync request gets when the pool's queue is full.</summary>
    public static readonly Refusal Busy = new(429, "rate_limited", "Kiln is busy rendering; retry later", RetryAfter: 2);

    public bool Serves(string engine) => engine == EngineNames.Procedural;

    public Task CancelAsync(long orgId, string engine, EngineJob job, CancellationToken ct) => Task.CompletedTask; // the worker's token stops it

    public async Task<Checked<EngineResult>> RunAsync(EngineRequest request, EngineOutputs outputs, CancellationToken ct)
    {
        if (request.Job is not null) return await RenderAsync(request.Spec, request.Progress, outputs, ct);
        if (!pool.TryAdmit()) return Busy;
        try
        {
            return await RenderAsync(request.Spec, null, outputs, ct);
        }
        finally
        {
            pool.Leave();
        }
    }

    /// <summary>One rendered variation: its output and the content class the generator chose.</summary>
    private sealed record Piece(StoredOutput Output, string? ContentClass);

    private async Task<Checked<EngineResult>> RenderAsync(ImageSpec spec, IProgress<int>? progress, EngineOutputs outputs, CancellationToken ct)
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
            var output = await outputs.StoreAsync(i, seed, image.Jpeg, "image/jpeg", ct);
            Report(i, 1);
            return new Checked<Piece>(new Piece(output, image.ContentClass));
        }, ct)).ToList();

        var results = new List<Piece>();
        foreach (var piece in await Task.WhenAll(tasks))
        {
            if (piece.Failed(out var refusal, out var finished)) return refusal;
            results.Add(finished);
        }
        var contentClass = Operations.EchoesContentClass(spec.Operation) ? spec.ContentClass ?? results[0].ContentClass : null;
        return new EngineResult(width, height, contentClass, results.Select(r => r.Output).ToList());
    }
}
