using SkiaSharp;

namespace Kiln.Server.Generation.Operations;

/// <summary>Mask handling shared by fill, expand and object composite. A mask's luminance becomes alpha: white = change.</summary>
internal static class Masks
{
    /// <summary>The mask at w x h as an alpha image (black colour, alpha = mask), optionally inverted and feathered.</summary>
    public static SKImage Alpha(SKImage mask, int w, int h, bool invert, float feather)
    {
        using var surface = Surfaces.Create(w, h);
        using var luma = SKColorFilter.CreateLumaColor();
        using var flip = SKColorFilter.CreateColorMatrix([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 1]);
        using var filter = invert ? SKColorFilter.CreateCompose(flip, luma) : null;
        using var blur = feather > 0.1f ? SKImageFilter.CreateBlur(feather, feather, SKShaderTileMode.Clamp) : null;
        using var paint = new SKPaint { ColorFilter = filter ?? luma, ImageFilter = blur };
        surface.Canvas.DrawImage(mask, new SKRect(0, 0, w, h), ImageDecoding.Sampling(mask.Width > w), paint);
        return surface.Snapshot();
    }

    /// <summary>
    /// The colours around the masked area, spread into it: a normalised blur of the unmasked pixels at a small size
    /// (blur of colour x weight divided by blur of weight). Where nothing unmasked is near, it is transparent.
    /// </summary>
    public static SKImage Harmony(SKImage basis, SKImage hardMask)
    {
        var gw = Math.Max(8, (int)Math.Round(160.0 * basis.Width / Math.Max(basis.Width, basis.Height)));
        var gh = Math.Max(8, (int)Math.Round(160.0 * basis.Height / Math.Max(basis.Width, basis.Height)));
        using var weighted = Surfaces.Create(gw, gh);
        weighted.Canvas.DrawImage(basis, new SKRect(0, 0, gw, gh), ImageDecoding.Sampling(true), null);
        using (var cut = new SKPaint { BlendMode = SKBlendMode.DstOut })
            weighted.Canvas.DrawImage(hardMask, new SKRect(0, 0, gw, gh), ImageDecoding.Sampling(true), cut);
        using var spread = Surfaces.Create(gw, gh);
        using (var snapshot = weighted.Snapshot())
        using (var blur = SKImageFilter.CreateBlur(gw * 0.08f, gw * 0.08f, SKShaderTileMode.Clamp))
        using (var paint = new SKPaint { ImageFilter = blur })
            spread.Canvas.DrawImage(snapshot, 0, 0, paint);

        var bitmap = new SKBitmap(new SKImageInfo(gw, gh, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        spread.ReadPixels(bitmap.Info, bitmap.GetPixels(), bitmap.RowBytes, 0, 0);
        var pixels = bitmap.GetPixelSpan();
        var bytes = new byte[pixels.Length];
        pixels.CopyTo(bytes);
        for (var i = 3; i < bytes.Length; i += 4) bytes[i] = (byte)Math.Min(255, bytes[i] * 4);
        bitmap.Dispose();
        var info = new SKImageInfo(gw, gh, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        return SKImage.FromPixelCopy(info, bytes) ?? throw new InvalidOperationException("harmony image");
    }

    /// <summary>
    /// Replaces the masked part of what <paramref name="canvas"/> shows (which equals <paramref name="basis"/>) with the
    /// prompt's scene, harmonised with the surrounding colours, blended through a feathered edge.
    /// </summary>
    public static void FillMasked(RenderJob job, SKCanvas canvas, SKImage basis, SKImage mask, bool invert)
    {
        int w = job.Width, h = job.Height;
        var feather = Math.Max(1.5f, Math.Min(w, h) / 700f);
        using var soft = Alpha(mask, w, h, invert, feather);
        var hardSize = RenderJob.RenderSize(Math.Min(w, 512), Math.Min(h, 512));
        using var hard = Alpha(mask, hardSize.Width, hardSize.Height, invert, 0);
        using var harmony = Harmony(basis, hard);
        job.Step(0.3);
        using var scene = job.RenderScene(w, h, (c, size) =>
        {
            using var paint = new SKPaint { Color = SKColors.White.WithAlpha(150) };
            c.DrawImage(harmony, new SKRect(0, 0, size.Width, size.Height), new SKSamplingOptions(SKCubicResampler.Mitchell), paint);
        });
        job.Step(0.6);
        canvas.SaveLayer(null);
        job.Look.Finish(canvas, scene, new SKRect(0, 0, w, h), job.Seed);
        using (var keep = new SKPaint { BlendMode = SKBlendMode.DstIn })
            canvas.DrawImage(soft, 0, 0, keep);
        canvas.Restore();
    }
}
