using System.Diagnostics;
using Kiln.Server.Generation;
using SkiaSharp;

namespace Kiln.Bench;

/// <summary>`profile`: rough per-stage timings of a 2048x2048 generate, to see where render time goes.</summary>
internal static class Profile
{
    public static void Run(string prompt, string? contentClass)
    {
        var request = new GenerationRequest { Operation = ImageOperation.Generate, Width = 2048, Height = 2048, Seed = 1779323515, Prompt = prompt, ContentClass = contentClass };
        var timings = new Dictionary<string, double>();
        void Time(string name, Action a)
        {
            var sw = Stopwatch.StartNew();
            a();
            timings[name] = timings.GetValueOrDefault(name) + sw.Elapsed.TotalMilliseconds;
        }
        const int n = 15;
        for (var i = -3; i < n; i++)
        {
            if (i == 0) timings.Clear();
            var job = new RenderJob(request, null, CancellationToken.None);
            SKImage? scene = null;
            Time("scene", () => scene = job.RenderScene(2048, 2048));
            Time("sceneRendererOnly", () =>
            {
                var size = RenderJob.RenderSize(2048, 2048);
                using var s1 = Surfaces.Create(size.Width, size.Height);
                SceneRenderer.Render(s1.Canvas, size.Width, size.Height, job.Plan, Palette.For(job.Plan, new SeededRandom(1)), job.Look.Art, new SeededRandom(2));
            });
            using var target = new Target(2048, 2048);
            var surface = target.Surface;
            Time("finish", () => job.Look.FinishInto(target, scene!, job.Seed));
            Time("finishAgain", () => job.Look.FinishInto(target, scene!, job.Seed));
            Time("encodeBitmap", () => target.EncodeJpeg());
            Time("alloc", () => { using var s2 = Surfaces.Create(2048, 2048); });
            Time("drawImageLinear", () => surface.Canvas.DrawImage(scene!, new SKRect(0, 0, 2048, 2048), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None), null));
            Time("drawImageNearest", () => surface.Canvas.DrawImage(scene!, new SKRect(0, 0, 2048, 2048), new SKSamplingOptions(SKFilterMode.Nearest, SKMipmapMode.None), null));
            Time("drawImageMitchell", () => surface.Canvas.DrawImage(scene!, new SKRect(0, 0, 2048, 2048), new SKSamplingOptions(SKCubicResampler.Mitchell), null));
            using var srcPix = scene!.PeekPixels();
            Time("scalePixels", () => { using var dst = surface.PeekPixels(); srcPix.ScalePixels(dst, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None)); });
            Time("clear", () => surface.Canvas.Clear(SKColors.Red));
            Time("total", () => ProceduralImageGenerator.Generate(request, null, CancellationToken.None));
            scene!.Dispose();
        }
        foreach (var (k, v) in timings) Console.WriteLine($"{k}: {v / n:F1} ms");
        // File sizes: the engine's JPEG, and the same pixels through SkiaSharp's default JPEG encode at q90.
        var jpeg = ProceduralImageGenerator.Generate(request, null, CancellationToken.None).Jpeg;
        using var decoded = SKBitmap.Decode(jpeg);
        using var again = decoded.Encode(SKEncodedImageFormat.Jpeg, 90);
        Console.WriteLine($"engine JPEG: {jpeg.Length} bytes; its pixels re-encoded by SKBitmap.Encode(Jpeg, 90): {again.Size} bytes");
    }
}
