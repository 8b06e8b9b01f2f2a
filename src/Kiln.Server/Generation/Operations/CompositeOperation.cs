using SkiaSharp;

namespace Kiln.Server.Generation.Operations;

/// <summary>
/// Object composite: the object (the mask's white area, or without a mask the source minus a plain background
/// detected from its border) placed per <see cref="Placement"/> on the prompt's scene, with a soft contact shadow.
/// </summary>
internal static class CompositeOperation
{
    public static string Run(RenderJob job, Target target)
    {
        var canvas = target.Canvas;
        int w = job.Width, h = job.Height;
        using var source = ImageDecoding.Decode(job.Request.Source, "source");
        using var alpha = job.Request.Mask is { } maskBytes ? MaskAlpha(maskBytes, source, job.Request.InvertMask) : BackgroundAlpha(source);
        var rect = PlacementMath.Place(source.Width, source.Height, w, h, job.Request.Placement);
        job.Step(0.15);

        using var scene = job.RenderScene(w, h, (c, size) =>
        {
            var s = size.Width / (float)w;
            var off = Math.Min(size.Width, size.Height) * 0.02f;
            var low = new SKRect(rect.Left * s + off, rect.Top * s + off * 1.5f, rect.Right * s + off, rect.Bottom * s + off * 1.5f);
            using var blur = SKImageFilter.CreateBlur(off, off);
            using var shadow = new SKPaint { ImageFilter = blur, Color = SKColors.Black.WithAlpha(120) };
            c.DrawImage(alpha, low, ImageDecoding.Sampling(true), shadow);
        });
        job.Step(0.6);
        job.Look.FinishInto(target, scene, job.Seed);

        canvas.SaveLayer(rect, null);
        var exact = Math.Abs(rect.Width - source.Width) < 0.5f;
        canvas.DrawImage(source, rect, exact ? new SKSamplingOptions(SKFilterMode.Nearest) : ImageDecoding.Sampling(rect.Width < source.Width), null);
        using (var keep = new SKPaint { BlendMode = SKBlendMode.DstIn })
            canvas.DrawImage(alpha, rect, ImageDecoding.Sampling(rect.Width < alpha.Width), keep);
        canvas.Restore();
        return job.ContentClass;
    }

    private static SKImage MaskAlpha(byte[] maskBytes, SKImage source, bool invert)
    {
        using var mask = ImageDecoding.Decode(maskBytes, "mask");
        return Masks.Alpha(mask, source.Width, source.Height, invert, 1f);
    }

    /// <summary>
    /// Treats a plain border as background: cells close to the border's mean colour become transparent. A busy
    /// border (a photo edge to edge) keeps the whole source as the object.
    /// </summary>
    internal static SKImage BackgroundAlpha(SKImage source)
    {
        var gw = Math.Max(8, (int)Math.Round(192.0 * source.Width / Math.Max(source.Width, source.Height)));
        var gh = Math.Max(8, (int)Math.Round(192.0 * source.Height / Math.Max(source.Width, source.Height)));
        var grid = ImageDecoding.Grid(source, gw, gh);
        var border = new List<SKColor>();
        for (var x = 0; x < gw; x++) { border.Add(grid[x, 0]); border.Add(grid[x, gh - 1]); }
        for (var y = 1; y < gh - 1; y++) { border.Add(grid[0, y]); border.Add(grid[gw - 1, y]); }
        float mr = (float)border.Average(c => c.Red), mg = (float)border.Average(c => c.Green), mb = (float)border.Average(c => c.Blue);
        var spread = MathF.Sqrt((float)border.Average(c => (c.Red - mr) * (c.Red - mr) + (c.Green - mg) * (c.Green - mg) + (c.Blue - mb) * (c.Blue - mb)));
        var plain = spread < 40f;
        var near = Math.Max(24f, spread * 2f);
        var px = new byte[gw * gh * 4];
        for (var y = 0; y < gh; y++)
            for (var x = 0; x < gw; x++)
            {
                var c = grid[x, y];
                var d = MathF.Sqrt((c.Red - mr) * (c.Red - mr) + (c.Green - mg) * (c.Green - mg) + (c.Blue - mb) * (c.Blue - mb));
                px[(y * gw + x) * 4 + 3] = plain ? (byte)Math.Clamp((d - near) / 40f * 255f, 0, 255) : (byte)255;
            }
        return SKImage.FromPixelCopy(new SKImageInfo(gw, gh, SKColorType.Rgba8888, SKAlphaType.Premul), px) ?? throw new InvalidOperationException("alpha");
    }
}
