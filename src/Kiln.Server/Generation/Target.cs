using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>The output of one call: a bitmap the engine owns and a surface drawing into the same pixels.</summary>
internal sealed class Target : IDisposable
{
    public Target(int w, int h)
    {
        Bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        Surface = SKSurface.Create(Bitmap.Info, Bitmap.GetPixels(), Bitmap.RowBytes) ?? throw new InvalidOperationException($"Could not allocate a {w}x{h} surface.");
    }

    public SKBitmap Bitmap { get; }
    public SKSurface Surface { get; }
    public SKCanvas Canvas => Surface.Canvas;
    public SKRect Bounds => new(0, 0, Bitmap.Width, Bitmap.Height);

    /// <summary>
    /// JPEG q90, 4:2:0, from the target's own pixels (no copy). Every operation paints the whole target, and JPEG has no
    /// alpha, so the pixels are read as opaque: the encoder then skips un-premultiplying each row.
    /// </summary>
    public byte[] EncodeJpeg()
    {
        Canvas.Flush();
        using var pixels = new SKPixmap(Bitmap.Info.WithAlphaType(SKAlphaType.Opaque), Bitmap.GetPixels(), Bitmap.RowBytes);
        using var data = pixels.Encode(Jpeg) ?? throw new InvalidOperationException("JPEG encoding failed.");
        return data.ToArray();
    }

    private static readonly SKJpegEncoderOptions Jpeg = new(90, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore);

    public void Dispose()
    {
        Surface.Dispose();
        Bitmap.Dispose();
    }
}
