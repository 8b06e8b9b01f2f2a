using SkiaSharp;

namespace Kiln.Server.Generation.Operations;

/// <summary>Text to image: the prompt's scene, optionally borrowing a style reference's palette and a structure reference's coarse luminance.</summary>
internal static class GenerateOperation
{
    public static string Run(RenderJob job, Target target)
    {
        var canvas = target.Canvas;
        IReadOnlyList<SKColor>? palette = null;
        if (job.Request.StyleReference is { } style)
        {
            using var reference = ImageDecoding.Decode(style, "style reference");
            palette = ImageDecoding.Palette(reference);
        }
        using var structure = job.Request.StructureReference is { } s ? ImageDecoding.Decode(s, "structure reference") : null;
        job.Step(0.1);
        using var scene = job.RenderScene(job.Width, job.Height, structure is null ? null : (c, size) => Structure(c, size, structure, job.Request.StructureStrength), palette);
        job.Step(0.6);
        job.Look.FinishInto(target, scene, job.Seed);
        return job.ContentClass;
    }

    /// <summary>Imposes the reference's coarse light and dark layout on the scene (luminosity blend, weighted by strength 0..100, default 50).</summary>
    private static void Structure(SKCanvas canvas, SKSizeI size, SKImage reference, int? strength)
    {
        using var coarse = Surfaces.Create(32, 32);
        coarse.Canvas.DrawImage(reference, new SKRect(0, 0, 32, 32), ImageDecoding.Sampling(true), null);
        using var small = coarse.Snapshot();
        using var paint = new SKPaint { BlendMode = SKBlendMode.Luminosity, Color = SKColors.White.WithAlpha((byte)(Math.Clamp(strength ?? 50, 0, 100) * 2.55f * 0.85f)) };
        canvas.DrawImage(small, new SKRect(0, 0, size.Width, size.Height), new SKSamplingOptions(SKCubicResampler.Mitchell), paint);
    }
}
