using SkiaSharp;

namespace Kiln.Server.Generation.Operations;

/// <summary>
/// Generative expand: the source placed per <see cref="Placement"/>, the new area grown from its edges (its border
/// pixels stretched outward, blurred more with distance, fading into the prompt's scene), and the source itself
/// feathered over a few pixels so there is no seam. With a mask, only the masked area is regenerated afterwards.
/// </summary>
internal static class ExpandOperation
{
    public static string Run(RenderJob job, Target target)
    {
        var canvas = target.Canvas;
        int w = job.Width, h = job.Height;
        using var source = ImageDecoding.Decode(job.Request.Source, "source");
        var art = ImageDecoding.LooksLikeArt(source);
        job.Look = Look.ForSource(art);
        var rect = PlacementMath.Place(source.Width, source.Height, w, h, job.Request.Placement);
        job.Step(0.1);

        using var scene = job.RenderScene(w, h, (c, size) =>
        {
            var s = size.Width / (float)w;
            var low = new SKRect(rect.Left * s, rect.Top * s, rect.Right * s, rect.Bottom * s);
            var m = Math.Min(size.Width, size.Height);
            Grow(c, size, source, low, blur: m * 0.06f, reach: m * 0.5f, opacity: 0.85f);
            Grow(c, size, source, low, blur: m * 0.012f, reach: m * 0.14f, opacity: 1f);
        });
        job.Step(0.5);
        job.Look.FinishInto(target, scene, job.Seed);
        DrawFeathered(canvas, source, rect, w, h);

        if (job.Request.Mask is { } maskBytes)
        {
            using var mask = ImageDecoding.Decode(maskBytes, "mask");
            using var basis = target.Surface.Snapshot();
            Masks.FillMasked(job, canvas, basis, mask, job.Request.InvertMask);
        }
        return art ? Look.ArtClass : Look.Photo;
    }

    /// <summary>The source's edge pixels extended over the canvas (clamp), blurred, fading out with distance from the source.</summary>
    private static void Grow(SKCanvas c, SKSizeI size, SKImage source, SKRect low, float blur, float reach, float opacity)
    {
        using var falloff = Surfaces.Create(size.Width, size.Height);
        using (var paint = new SKPaint { IsAntialias = true, Color = SKColors.Black, MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, reach / 2.5f) })
            falloff.Canvas.DrawRect(SKRect.Inflate(low, reach * 0.3f, reach * 0.3f), paint);
        using var fade = falloff.Snapshot();

        using var layer = new SKPaint { Color = SKColors.White.WithAlpha((byte)(opacity * 255)) };
        c.SaveLayer(layer);
        var matrix = SKMatrix.CreateScaleTranslation(low.Width / source.Width, low.Height / source.Height, low.Left, low.Top);
        using (var shader = source.ToShader(SKShaderTileMode.Clamp, SKShaderTileMode.Clamp, ImageDecoding.Sampling(true), matrix))
        using (var filter = SKImageFilter.CreateBlur(blur, blur, SKShaderTileMode.Clamp))
        using (var paint = new SKPaint { Shader = shader, ImageFilter = filter })
            c.DrawRect(0, 0, size.Width, size.Height, paint);
        using (var keep = new SKPaint { BlendMode = SKBlendMode.DstIn })
            c.DrawImage(fade, 0, 0, keep);
        c.Restore();
    }

    /// <summary>Draws the source sharp inside <paramref name="rect"/>, fading out over a few pixels on the sides that face new area.</summary>
    private static void DrawFeathered(SKCanvas canvas, SKImage source, SKRect rect, int w, int h)
    {
        var sigma = Math.Max(1.5f, Math.Min(w, h) / 400f);
        float In(float edge, bool atCanvas, float dir) => atCanvas ? edge - dir * 4 * sigma : edge + dir * 2 * sigma;
        var geometry = new SKRect(
            In(rect.Left, rect.Left <= 0.5f, 1), In(rect.Top, rect.Top <= 0.5f, 1),
            In(rect.Right, rect.Right >= w - 0.5f, -1), In(rect.Bottom, rect.Bottom >= h - 0.5f, -1));
        var sampling = Math.Abs(rect.Width - source.Width) < 0.5f ? new SKSamplingOptions(SKFilterMode.Nearest) : ImageDecoding.Sampling(rect.Width < source.Width);
        var matrix = SKMatrix.CreateScaleTranslation(rect.Width / source.Width, rect.Height / source.Height, rect.Left, rect.Top);
        using var shader = source.ToShader(SKShaderTileMode.Clamp, SKShaderTileMode.Clamp, sampling, matrix);
        using var paint = new SKPaint { Shader = shader, IsAntialias = true, MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, sigma) };
        canvas.DrawRect(geometry, paint);
    }
}
