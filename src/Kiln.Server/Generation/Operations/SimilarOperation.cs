using SkiaSharp;

namespace Kiln.Server.Generation.Operations;

/// <summary>
/// Generate similar: keeps the source's palette and coarse layout. The source is reduced to a small grid, moved a
/// little (seeded shift, zoom and turn), its cells jittered, upscaled smoothly, then repainted with seeded strokes
/// whose colours are sampled from the source where they land. Related at a glance, different per seed.
/// </summary>
internal static class SimilarOperation
{
    public static string Run(RenderJob job, Target target)
    {
        var canvas = target.Canvas;
        int w = job.Width, h = job.Height;
        using var source = ImageDecoding.Decode(job.Request.Source, "source");
        var art = ImageDecoding.LooksLikeArt(source);
        job.Look = Look.ForSource(art);
        var rng = job.Random("similar");
        var size = RenderJob.RenderSize(w, h);
        var gw = Math.Max(4, (int)Math.Round(22.0 * w / Math.Max(w, h)));
        var gh = Math.Max(4, (int)Math.Round(22.0 * h / Math.Max(w, h)));
        var move = Transform(rng, size.Width, size.Height);
        job.Step(0.1);

        using var render = Surfaces.Create(size.Width, size.Height);
        var c = render.Canvas;
        using (var coarse = Coarse(source, gw, gh, size, move, rng))
            c.DrawImage(coarse, new SKRect(0, 0, size.Width, size.Height), new SKSamplingOptions(SKCubicResampler.Mitchell), null);
        c.Save();
        c.SetMatrix(move);
        using (var faint = new SKPaint { Color = SKColors.White.WithAlpha(80) })
            c.DrawImage(source, new SKRect(0, 0, size.Width, size.Height), ImageDecoding.Sampling(true), faint);
        c.Restore();
        job.Step(0.4);
        var local = ImageDecoding.Grid(source, 64, 64);
        Strokes(c, size, local, move, rng, art);
        job.Step(0.6);
        using var image = render.Snapshot();
        job.Look.FinishInto(target, image, job.Seed);
        return art ? Look.ArtClass : Look.Photo;
    }

    /// <summary>A small seeded move of the whole picture: at most a few percent of shift, zoom and rotation.</summary>
    private static SKMatrix Transform(SeededRandom rng, int w, int h)
    {
        var zoom = rng.Range(1.02f, 1.12f);
        var turn = rng.Range(-4f, 4f);
        var m = SKMatrix.CreateRotationDegrees(turn, w / 2f, h / 2f);
        m = m.PostConcat(SKMatrix.CreateScale(zoom, zoom, w / 2f, h / 2f));
        return m.PostConcat(SKMatrix.CreateTranslation(rng.Range(-0.05f, 0.05f) * w, rng.Range(-0.05f, 0.05f) * h));
    }

    private static SKImage Coarse(SKImage source, int gw, int gh, SKSizeI size, SKMatrix move, SeededRandom rng)
    {
        using var grid = Surfaces.Create(gw, gh);
        grid.Canvas.Scale(gw / (float)size.Width, gh / (float)size.Height);
        grid.Canvas.Concat(move);
        grid.Canvas.DrawImage(source, new SKRect(0, 0, size.Width, size.Height), ImageDecoding.Sampling(true), null);
        using var bitmap = new SKBitmap(new SKImageInfo(gw, gh, SKColorType.Rgba8888, SKAlphaType.Premul));
        grid.ReadPixels(bitmap.Info, bitmap.GetPixels(), bitmap.RowBytes, 0, 0);
        var px = bitmap.GetPixelSpan().ToArray();
        for (var i = 0; i < px.Length; i += 4)
        {
            var shift = rng.Range(-18f, 18f);
            for (var k = 0; k < 3; k++) px[i + k] = (byte)Math.Clamp(px[i + k] + shift + rng.Range(-8f, 8f), 0, 255);
            px[i + 3] = 255;
        }
        return SKImage.FromPixelCopy(new SKImageInfo(gw, gh, SKColorType.Rgba8888, SKAlphaType.Opaque), px) ?? throw new InvalidOperationException("coarse grid");
    }

    private static void Strokes(SKCanvas c, SKSizeI size, SKColor[,] local, SKMatrix move, SeededRandom rng, bool art)
    {
        var inverse = move.TryInvert(out var inv) ? inv : SKMatrix.Identity;
        var m = Math.Min(size.Width, size.Height);
        using var paint = new SKPaint { IsAntialias = true };
        if (!art) paint.MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, m * 0.006f);
        var n = 220;
        for (var i = 0; i < n; i++)
        {
            float x = rng.Range(0, size.Width), y = rng.Range(0, size.Height);
            var at = inverse.MapPoint(x, y);
            var gx = Math.Clamp((int)(at.X / size.Width * 64), 0, 63);
            var gy = Math.Clamp((int)(at.Y / size.Height * 64), 0, 63);
            var colour = Colours.Hue(Colours.Shade(local[gx, gy], rng.Range(0.88f, 1.12f)), rng.Range(-8f, 8f));
            paint.Color = colour.WithAlpha((byte)rng.Next(90, 190));
            var len = m * rng.Range(0.02f, 0.09f);
            c.Save();
            c.RotateDegrees(rng.Range(0, 180), x, y);
            c.DrawOval(new SKRect(x - len, y - len * 0.35f, x + len, y + len * 0.35f), paint);
            c.Restore();
        }
    }
}
