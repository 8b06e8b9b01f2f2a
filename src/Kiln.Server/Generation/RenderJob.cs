using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>Everything one render needs, derived once from the request. Owned by a single call; nothing is shared.</summary>
internal sealed class RenderJob
{
    /// <summary>About this many pixels are painted by the scene renderer; the result is upscaled to the output size.</summary>
    private const double RenderPixels = 800_000;

    /// <summary>A render scale at or above this paints at the output size instead (outputs up to about 1.6 megapixels).</summary>
    private const double FullSizeAbove = 0.85;

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

    /// <summary>Checks for cancellation between stages and reports progress (never backwards).</summary>
    public void Step(double progress)
    {
        Ct.ThrowIfCancellationRequested();
        if (progress <= _reported) return;
        _reported = progress;
        Progress?.Report(progress);
    }

    private double _reported;

    /// <summary>The reduced size at which smooth content is painted for a w x h output.</summary>
    public static SKSizeI RenderSize(int w, int h)
    {
        var s = Math.Min(1.0, Math.Sqrt(RenderPixels / ((double)w * h)));
        // Close to the output size, the full-size upscale pass costs more than painting the few extra pixels saves.
        if (s >= FullSizeAbove) s = 1.0;
        return new SKSizeI(Math.Max(1, (int)Math.Round(w * s)), Math.Max(1, (int)Math.Round(h * s)));
    }

    /// <summary>
    /// Renders the prompt's scene for a w x h output at render size, graded by the look. Without an overlay or a blur
    /// the picture is painted as two horizontal strips on both cores (each strip paints the whole scene, clipped);
    /// the split is fixed, so the pixels do not depend on the machine.
    /// </summary>
    public SKImage RenderScene(int w, int h, Action<SKCanvas, SKSizeI>? overlay = null, IReadOnlyList<SKColor>? borrowPalette = null)
    {
        var size = RenderSize(w, h);
        using var bitmap = new SKBitmap(new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var strips = overlay is null && Look.Grade.Soften <= 0.05f && size.Height >= 64 ? 2 : 1;
        Parallel.For(0, strips, strip =>
        {
            int top = size.Height * strip / strips, bottom = size.Height * (strip + 1) / strips;
            var info = new SKImageInfo(size.Width, bottom - top, SKColorType.Rgba8888, SKAlphaType.Premul);
            using var surface = SKSurface.Create(info, bitmap.GetPixels() + top * bitmap.RowBytes, bitmap.RowBytes)
                ?? throw new InvalidOperationException("Could not wrap the render strip.");
            surface.Canvas.Translate(0, -top);
            Paint(surface.Canvas, size, overlay, borrowPalette);
        });
        Look.GradeInPlace(bitmap);
        bitmap.SetImmutable();
        return SKImage.FromBitmap(bitmap) ?? throw new InvalidOperationException("Could not snapshot the render.");
    }

    private void Paint(SKCanvas canvas, SKSizeI size, Action<SKCanvas, SKSizeI>? overlay, IReadOnlyList<SKColor>? borrowPalette)
    {
        var palette = Palette.For(Plan, new SeededRandom(StableHash.Mix(SceneSeed, 1)));
        if (borrowPalette is { Count: > 0 }) palette = palette.Borrow(borrowPalette, Math.Clamp((Request.StyleStrength ?? 50) / 100f * 1.4f, 0.1f, 0.9f));
        // Grading happens afterwards on the pixels (Look.GradeInPlace): a colour-filtered layer here cost more than the scene.
        using var soften = Look.Grade.Soften > 0.05f ? SKImageFilter.CreateBlur(Look.Grade.Soften * size.Width / 700f, Look.Grade.Soften * size.Width / 700f) : null;
        if (soften is not null)
        {
            using var layer = new SKPaint { ImageFilter = soften };
            canvas.SaveLayer(layer);
        }
        SceneRenderer.Render(canvas, size.Width, size.Height, Plan, palette, Look.Art, new SeededRandom(StableHash.Mix(SceneSeed, 2)));
        overlay?.Invoke(canvas, size);
        if (soften is not null) canvas.Restore();
    }
}
