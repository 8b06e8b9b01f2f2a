using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>
/// A stand-in engine until the built-in procedural engine merges (the lead deletes this file then):
/// a seeded gradient with shapes, JPEG q90 at the exact size. Fill changes only the masked area;
/// expand keeps the source where it is placed.
/// </summary>
public sealed class PlaceholderImageGenerator : IImageGenerator
{
    public Task<GeneratedImage> GenerateAsync(GenerationRequest r, IProgress<double>? progress, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var rng = new Random(SeedOf(r));
        var info = new SKImageInfo(r.Width, r.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap)) Paint(canvas, r, rng);
        progress?.Report(0.5);
        if (r.Operation == ImageOperation.Fill && r.Source is not null && r.Mask is not null) Composite(bitmap, r);
        else if (r.Operation == ImageOperation.Expand && r.Source is not null) Place(bitmap, r);
        ct.ThrowIfCancellationRequested();
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        progress?.Report(1);
        var cls = r.ContentClass ?? (r.Prompt?.Contains("photo", StringComparison.OrdinalIgnoreCase) == true ? "photo" : "art");
        return Task.FromResult(new GeneratedImage(data.ToArray(), r.Width, r.Height, cls));
    }

    private static int SeedOf(GenerationRequest r)
    {
        var text = string.Join('\u001f', r.Operation, r.Width, r.Height, r.Seed, r.Prompt, r.NegativePrompt, r.ContentClass,
            string.Join(',', r.StylePresets), r.StyleStrength, r.VisualIntensity, r.Tileable);
        return BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static SKColor RandomColor(Random rng, byte alpha = 255) => new((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256), alpha);

    private static void Paint(SKCanvas canvas, GenerationRequest r, Random rng)
    {
        using var gradient = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(r.Width, r.Height),
            [RandomColor(rng), RandomColor(rng)], SKShaderTileMode.Clamp);
        using var bg = new SKPaint { Shader = gradient };
        canvas.DrawRect(0, 0, r.Width, r.Height, bg);
        using var paint = new SKPaint { IsAntialias = true };
        var shapes = 12 + rng.Next(12);
        for (var i = 0; i < shapes; i++)
        {
            paint.Color = RandomColor(rng, (byte)(90 + rng.Next(120)));
            float x = rng.Next(r.Width), y = rng.Next(r.Height), s = (float)(Math.Min(r.Width, r.Height) * (0.05 + rng.NextDouble() * 0.2));
            if (rng.Next(2) == 0) canvas.DrawCircle(x, y, s, paint);
            else canvas.DrawRect(x - s, y - s, s * 2, s * 1.3f, paint);
        }
    }

    private static SKBitmap DecodeTo(byte[] bytes, int w, int h)
    {
        using var image = SKImage.FromEncodedData(bytes) ?? throw new InvalidImageInputException("The input image could not be decoded.");
        var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.DrawImage(image, new SKRect(0, 0, w, h), new SKSamplingOptions(SKFilterMode.Linear));
        return bitmap;
    }

    /// <summary>out = source where the mask is black, generated where it is white (inverted on request).</summary>
    private static void Composite(SKBitmap generated, GenerationRequest r)
    {
        using var source = DecodeTo(r.Source!, r.Width, r.Height);
        using var mask = DecodeTo(r.Mask!, r.Width, r.Height);
        var src = source.GetPixelSpan();
        var m = mask.GetPixelSpan();
        var gen = new byte[generated.ByteCount];
        Marshal.Copy(generated.GetPixels(), gen, 0, gen.Length);
        for (var i = 0; i < gen.Length; i += 4)
        {
            var a = r.InvertMask ? 255 - m[i] : m[i];
            for (var c = 0; c < 3; c++) gen[i + c] = (byte)((src[i + c] * (255 - a) + gen[i + c] * a + 127) / 255);
            gen[i + 3] = 255;
        }
        Marshal.Copy(gen, 0, generated.GetPixels(), gen.Length);
    }

    /// <summary>Draws the source (shrunk only if it does not fit) per the placement; the generated scene stays around it.</summary>
    private static void Place(SKBitmap canvasBitmap, GenerationRequest r)
    {
        using var image = SKImage.FromEncodedData(r.Source!) ?? throw new InvalidImageInputException("The input image could not be decoded.");
        var p = r.Placement ?? new Placement();
        SKRect dest;
        if (p.InsetLeft is not null || p.InsetTop is not null || p.InsetRight is not null || p.InsetBottom is not null)
        {
            dest = new SKRect(p.InsetLeft ?? 0, p.InsetTop ?? 0, r.Width - (p.InsetRight ?? 0), r.Height - (p.InsetBottom ?? 0));
        }
        else
        {
            var scale = Math.Min(1.0, Math.Min((double)r.Width / image.Width, (double)r.Height / image.Height));
            int w = (int)(image.Width * scale), h = (int)(image.Height * scale);
            var x = p.Horizontal switch { HorizontalAlignment.Left => 0, HorizontalAlignment.Right => r.Width - w, _ => (r.Width - w) / 2 };
            var y = p.Vertical switch { VerticalAlignment.Top => 0, VerticalAlignment.Bottom => r.Height - h, _ => (r.Height - h) / 2 };
            dest = SKRect.Create(x, y, w, h);
        }
        using var canvas = new SKCanvas(canvasBitmap);
        canvas.DrawImage(image, dest, new SKSamplingOptions(SKFilterMode.Linear));
    }
}
