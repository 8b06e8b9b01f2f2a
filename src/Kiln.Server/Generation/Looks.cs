using System.Runtime.CompilerServices;
using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>
/// The finish of a render. Photo: soft gradients, light and vignette (painted by the scene), and fine seeded grain
/// added at full resolution. Art: flat fills and ink outlines (painted by the scene), then a posterized palette.
/// Presets, style strength and visual intensity become one colour matrix applied at render resolution.
/// </summary>
internal sealed record Look(bool Art, Grade Grade, int PosterizeLevels)
{
    public const string Photo = "photo";
    public const string ArtClass = "art";

    /// <summary>
    /// Decides photo or art: the request's contentClass wins; otherwise prompt words ("realistic", "photo" versus
    /// "illustration", "painting", ...) decide, and a prompt with neither is "art" (the class Firefly's examples echo).
    /// </summary>
    public static string ResolveClass(string? requested, ScenePlan plan) =>
        string.Equals(requested, Photo, StringComparison.OrdinalIgnoreCase) ? Photo
        : string.Equals(requested, ArtClass, StringComparison.OrdinalIgnoreCase) ? ArtClass
        : plan.ContentClassHint ?? ArtClass;

    public static Look For(GenerationRequest request, string contentClass)
    {
        var art = contentClass == ArtClass;
        var grade = Presets.Combine(request.StylePresets, request.StyleStrength);
        var k = Math.Clamp(((request.VisualIntensity ?? 6) - 6) / 4f, -1f, 1f);
        grade = grade.Then(new Grade(Saturation: 1f + 0.45f * k, Contrast: 1f + 0.3f * k));
        if (!art) grade = grade.Then(new Grade(Grain: 7f));
        return new Look(art, grade, art ? 8 : 0);
    }

    /// <summary>The look for content made to sit next to an input image: no grading or posterizing, grain only for photos.</summary>
    public static Look ForSource(bool art) => new(art, art ? new Grade() : new Grade(Grain: 7f), 0);

    /// <summary>
    /// Applies the colour matrix and, for art, the posterize steps to an opaque RGBA render in place, in fixed point,
    /// on both cores (rows are independent, so the split does not change the result).
    /// </summary>
    public void GradeInPlace(SKBitmap bitmap)
    {
        var m = Matrix(Grade);
        var identity = Math.Abs(m[0] - 1) + Math.Abs(m[6] - 1) + Math.Abs(m[12] - 1) + Math.Abs(m[1]) + Math.Abs(m[2]) + Math.Abs(m[5])
            + Math.Abs(m[7]) + Math.Abs(m[10]) + Math.Abs(m[11]) + Math.Abs(m[4]) + Math.Abs(m[9]) + Math.Abs(m[14]) < 1e-4f;
        if (identity && PosterizeLevels <= 1) return;
        var k = new int[12];
        for (var r = 0; r < 3; r++)
        {
            for (var c = 0; c < 3; c++) k[r * 4 + c] = (int)MathF.Round(m[r * 5 + c] * 1024);
            k[r * 4 + 3] = (int)MathF.Round(m[r * 5 + 4] * 255 * 1024) + 512;
        }
        var lut = new byte[256];
        var step = PosterizeLevels > 1 ? 255f / (PosterizeLevels - 1) : 1f;
        for (var i = 0; i < 256; i++) lut[i] = PosterizeLevels > 1 ? (byte)Math.Clamp(MathF.Round(MathF.Round(i / step) * step), 0, 255) : (byte)i;
        int w = bitmap.Width, h = bitmap.Height, stride = bitmap.RowBytes;
        const int parts = 4;
        // Fully optimised from the first image, like the upscaler's kernels (see Upscaler).
        Parallel.For(0, parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (part) =>
        {
            var px = bitmap.GetPixelSpan();
            for (var y = h * part / parts; y < h * (part + 1) / parts; y++)
            {
                var row = px.Slice(y * stride, w * 4);
                for (var i = 0; i < row.Length; i += 4)
                {
                    int r = row[i], g = row[i + 1], b = row[i + 2];
                    if (!identity)
                    {
                        (r, g, b) = (
                            Math.Clamp((k[0] * r + k[1] * g + k[2] * b + k[3]) >> 10, 0, 255),
                            Math.Clamp((k[4] * r + k[5] * g + k[6] * b + k[7]) >> 10, 0, 255),
                            Math.Clamp((k[8] * r + k[9] * g + k[10] * b + k[11]) >> 10, 0, 255));
                    }
                    (row[i], row[i + 1], row[i + 2]) = (lut[r], lut[g], lut[b]);
                }
            }
        });
    }

    /// <summary>Saturation, then contrast and brightness around mid-grey, then a luminance-preserving tint. Row-major 4x5, translation in 0..1.</summary>
    internal static float[] Matrix(Grade g)
    {
        const float lr = 0.2126f, lg = 0.7152f, lb = 0.0722f;
        var s = g.Saturation;
        var m = new float[3, 3]
        {
            { lr * (1 - s) + s, lg * (1 - s), lb * (1 - s) },
            { lr * (1 - s), lg * (1 - s) + s, lb * (1 - s) },
            { lr * (1 - s), lg * (1 - s), lb * (1 - s) + s },
        };
        var a = g.TintAmount;
        float[] tint = [g.Tint.Red / 255f, g.Tint.Green / 255f, g.Tint.Blue / 255f];
        var norm = 1f / Math.Max(0.25f, lr * tint[0] + lg * tint[1] + lb * tint[2]);
        var result = new float[20];
        for (var r = 0; r < 3; r++)
        {
            for (var col = 0; col < 3; col++)
            {
                var luma = col switch { 0 => lr, 1 => lg, _ => lb };
                var tinted = (1 - a) * m[r, col] + a * tint[r] * norm * luma;
                result[r * 5 + col] = tinted * g.Contrast;
            }
            result[r * 5 + 4] = 0.5f * (1 - g.Contrast) + g.Brightness;
        }
        result[18] = 1f;
        return result;
    }

    /// <summary>Replaces every output pixel with the render, upscaled (fast path; see <see cref="Upscaler"/>), with grain for photo.</summary>
    public void FinishInto(Target target, SKImage render, ulong seed) =>
        Upscaler.Resize(render, target.Bitmap, Grade.Grain > 0.5f ? Upscaler.GrainTile(seed, Grade.Grain) : null);

    /// <summary>Draws the graded low-resolution render onto the full-size canvas, upscaled smoothly, with grain for photo.</summary>
    public void Finish(SKCanvas canvas, SKImage render, SKRect dest, ulong seed)
    {
        var sampling = new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None);
        var scale = SKMatrix.CreateScaleTranslation(dest.Width / render.Width, dest.Height / render.Height, dest.Left, dest.Top);
        using var image = render.ToShader(SKShaderTileMode.Clamp, SKShaderTileMode.Clamp, sampling, scale);
        using var paint = new SKPaint();
        if (Grade.Grain <= 0.5f)
        {
            paint.Shader = image;
            canvas.DrawRect(dest, paint);
            return;
        }
        using var grainImage = GrainTile(seed, Grade.Grain);
        using var grain = grainImage.ToShader(SKShaderTileMode.Repeat, SKShaderTileMode.Repeat, SKSamplingOptions.Default, SKMatrix.CreateTranslation(dest.Left, dest.Top));
        using var blended = SKShader.CreateBlend(SKBlendMode.Overlay, image, grain);
        paint.Shader = blended;
        canvas.DrawRect(dest, paint);
    }

    /// <summary>The grain of <see cref="Upscaler.GrainTile"/> as a grey image around mid-grey (neutral under overlay).</summary>
    internal static SKImage GrainTile(ulong seed, float amplitude)
    {
        var tile = Upscaler.GrainTile(seed, amplitude);
        var pixels = tile.Select(g => (byte)(128 + g)).ToArray();
        var info = new SKImageInfo(128, 128, SKColorType.Gray8, SKAlphaType.Opaque);
        return SKImage.FromPixelCopy(info, pixels) ?? throw new InvalidOperationException("grain tile");
    }
}
