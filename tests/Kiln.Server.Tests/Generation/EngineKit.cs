using Kiln.Server.Generation;
using SkiaSharp;

namespace Kiln.Server.Tests.Generation;

/// <summary>Decoded RGBA pixels of an image, with region statistics.</summary>
internal sealed class Pixels
{
    public Pixels(byte[] encoded)
    {
        using var bitmap = SKBitmap.Decode(encoded) ?? throw new InvalidOperationException("undecodable");
        using var rgba = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.CopyTo(rgba, SKColorType.Rgba8888);
        (Width, Height, Data) = (bitmap.Width, bitmap.Height, rgba.GetPixelSpan().ToArray());
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Data { get; }

    public (byte R, byte G, byte B) At(int x, int y)
    {
        var i = (y * Width + x) * 4;
        return (Data[i], Data[i + 1], Data[i + 2]);
    }

    public IEnumerable<(int X, int Y)> Points(SKRectI r, int step = 1)
    {
        for (var y = Math.Max(0, r.Top); y < Math.Min(Height, r.Bottom); y += step)
            for (var x = Math.Max(0, r.Left); x < Math.Min(Width, r.Right); x += step)
                yield return (x, y);
    }

    public SKRectI All => new(0, 0, Width, Height);

    public (double R, double G, double B) Mean(SKRectI r, Func<int, int, bool>? where = null)
    {
        double sr = 0, sg = 0, sb = 0;
        var n = 0;
        foreach (var (x, y) in Points(r))
        {
            if (where is not null && !where(x, y)) continue;
            var (cr, cg, cb) = At(x, y);
            (sr, sg, sb, n) = (sr + cr, sg + cg, sb + cb, n + 1);
        }
        return (sr / n, sg / n, sb / n);
    }

    /// <summary>Mean absolute difference per channel between this and <paramref name="other"/> over the points selected.</summary>
    public double MeanAbsDiff(Pixels other, Func<int, int, bool> where, int step = 1)
    {
        double sum = 0;
        long n = 0;
        foreach (var (x, y) in Points(All, step))
        {
            if (!where(x, y)) continue;
            var (a, b) = (At(x, y), other.At(x, y));
            sum += Math.Abs(a.R - b.R) + Math.Abs(a.G - b.G) + Math.Abs(a.B - b.B);
            n += 3;
        }
        return sum / Math.Max(1, n);
    }

    public double MeanSaturation()
    {
        double sum = 0;
        var n = 0;
        foreach (var (x, y) in Points(All, 4))
        {
            var (r, g, b) = At(x, y);
            int max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b));
            sum += max == 0 ? 0 : (max - min) / (double)max;
            n++;
        }
        return sum / n;
    }

    public static double Luma((byte R, byte G, byte B) c) => 0.299 * c.R + 0.587 * c.G + 0.114 * c.B;
}

internal static class EngineKit
{
    public static readonly ProceduralImageGenerator Engine = new();

    public static GenerationRequest Request(string? prompt, int seed = 7, int w = 512, int h = 512, ImageOperation op = ImageOperation.Generate) =>
        new() { Operation = op, Width = w, Height = h, Seed = seed, Prompt = prompt };

    public static async Task<GeneratedImage> Run(GenerationRequest request) => await Engine.GenerateAsync(request, null, CancellationToken.None);

    public static async Task<Pixels> Render(GenerationRequest request) => new((await Run(request)).Jpeg);

    /// <summary>Draws a test picture and returns it as PNG bytes.</summary>
    public static byte[] Png(int w, int h, Action<SKCanvas> draw)
    {
        using var surface = SKSurface.Create(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        draw(surface.Canvas);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A smooth, varied picture: a diagonal gradient with two soft discs.</summary>
    public static byte[] SmoothPicture(int w, int h) => Png(w, h, c =>
    {
        using var paint = new SKPaint { IsAntialias = true };
        paint.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(w, h), [new SKColor(200, 120, 40), new SKColor(40, 110, 190)], SKShaderTileMode.Clamp);
        c.DrawRect(0, 0, w, h, paint);
        paint.Shader = SKShader.CreateRadialGradient(new SKPoint(w * 0.35f, h * 0.4f), w * 0.25f, [new SKColor(250, 230, 120), new SKColor(250, 230, 120, 0)], SKShaderTileMode.Clamp);
        c.DrawRect(0, 0, w, h, paint);
    });

    /// <summary>A white mask rectangle on black.</summary>
    public static byte[] Mask(int w, int h, SKRect white) => Png(w, h, c =>
    {
        c.Clear(SKColors.Black);
        using var paint = new SKPaint { Color = SKColors.White };
        c.DrawRect(white, paint);
    });
}
