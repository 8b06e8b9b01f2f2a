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

    public byte[] EncodeJpeg()
    {
        Canvas.Flush();
        using var data = Bitmap.Encode(SKEncodedImageFormat.Jpeg, 90) ?? throw new InvalidOperationException("JPEG encoding failed.");
        return data.ToArray();
    }

    public void Dispose()
    {
        Surface.Dispose();
        Bitmap.Dispose();
    }
}
