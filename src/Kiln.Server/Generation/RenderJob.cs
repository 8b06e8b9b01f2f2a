using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>Everything one render needs, derived once from the request. Owned by a single call; nothing is shared.</summary>
internal sealed class RenderJob
{
    /// <summary>About this many pixels are painted by the scene renderer; the result is upscaled to the output size.</summary>
    private const double RenderPixels = 1_150_000;

    public RenderJob(GenerationRequest request, IProgress<double>? progress, CancellationToken ct)
    {
        Request = request;
        Progress = progress;
        Ct = ct;
        Plan = PromptParser.Parse(request.Prompt, request.NegativePrompt);
        ContentClass = Look.ResolveClass(request.ContentClass, Plan);
        Look = Look.For(request, ContentClass);
        // The composition depends on seed and prompt only, so presets or content class change the look of the same scene.
        SceneSeed = StableHash.Mix(StableHash.Mix((ulong)(uint)request.Seed, StableHash.Of(request.Prompt)), StableHash.Of(request.NegativePrompt));
        Seed = StableHash.Mix(SceneSeed, StableHash.Of(string.Join('|', request.Operation, request.Width, request.Height, ContentClass,
            string.Join(',', request.StylePresets), request.StyleStrength, request.VisualIntensity, request.InvertMask, request.StructureStrength, request.Placement)));
    }

    public GenerationRequest Request { get; }
    public ScenePlan Plan { get; }
    public string ContentClass { get; }
    public Look Look { get; set; }
    public ulong SceneSeed { get; }
    public ulong Seed { get; }
    public CancellationToken Ct { get; }
    private IProgress<double>? Progress { get; }

    public int Width => Request.Width;
    public int Height => Request.Height;

    public SeededRandom Random(string purpose) => new(StableHash.Mix(Seed, StableHash.Of(purpose)));

    public void Step(double progress)
    {
        Ct.ThrowIfCancellationRequested();
        Progress?.Report(progress);
    }

    /// <summary>The reduced size at which smooth content is painted for a w x h output.</summary>
    public static SKSizeI RenderSize(int w, int h)
    {
        var s = Math.Min(1.0, Math.Sqrt(RenderPixels / ((double)w * h)));
        return new SKSizeI(Math.Max(1, (int)Math.Round(w * s)), Math.Max(1, (int)Math.Round(h * s)));
    }

    /// <summary>Renders the prompt's scene for a w x h output at render size, graded by the look.</summary>
    public SKImage RenderScene(int w, int h, Action<SKCanvas, SKSizeI>? overlay = null, IReadOnlyList<SKColor>? borrowPalette = null)
    {
        var size = RenderSize(w, h);
        using var surface = Surfaces.Create(size.Width, size.Height);
        var canvas = surface.Canvas;
        var palette = Palette.For(Plan, new SeededRandom(StableHash.Mix(SceneSeed, 1)));
        if (borrowPalette is { Count: > 0 }) palette = palette.Borrow(borrowPalette, Math.Clamp((Request.StyleStrength ?? 50) / 100f * 1.4f, 0.1f, 0.9f));
        using var filter = Look.ColorFilter();
        using var soften = Look.Grade.Soften > 0.05f ? SKImageFilter.CreateBlur(Look.Grade.Soften * size.Width / 700f, Look.Grade.Soften * size.Width / 700f) : null;
        using var layer = new SKPaint { ColorFilter = filter, ImageFilter = soften };
        canvas.SaveLayer(layer);
        SceneRenderer.Render(canvas, size.Width, size.Height, Plan, palette, Look.Art, new SeededRandom(StableHash.Mix(SceneSeed, 2)));
        overlay?.Invoke(canvas, size);
        canvas.Restore();
        return surface.Snapshot();
    }
}
