using System.Diagnostics;
using Kiln.Server.Generation;
using SkiaSharp;

namespace Kiln.Bench;

/// <summary>Writes a few generated images to a folder, to look at them.</summary>
internal static class Samples
{
    private static readonly (string Name, string Prompt, string? ContentClass)[] Prompts =
    [
        ("cat-coding", "a realistic illustration of a cat coding", null),
        ("cat-sea-photo", "a cat by the sea with mountains at sunset", "photo"),
        ("cat-sea-art", "a cat by the sea with mountains at sunset", "art"),
        ("city-night", "a city skyline at night with a moon", "photo"),
        ("forest-lake", "a house in a forest by a lake, misty morning", "art"),
        ("red-desert", "a red desert with a robot", "photo"),
        ("space", "astronaut in space with stars", "art"),
        ("unknown", "the concept of quarterly synergy", null),
        ("castle-snow", "a castle on a snowy hill, winter, birds", "art"),
        ("boat", "a boat on the blue ocean, sunny day, clouds", "photo"),
    ];

    public static async Task WriteAsync(string dir)
    {
        Directory.CreateDirectory(dir);
        var engine = new ProceduralImageGenerator();
        foreach (var (name, prompt, cls) in Prompts)
        {
            var sw = Stopwatch.StartNew();
            var image = await engine.GenerateAsync(new GenerationRequest
            {
                Operation = ImageOperation.Generate, Width = 1024, Height = 1024, Seed = 42, Prompt = prompt, ContentClass = cls,
            }, null, CancellationToken.None);
            await File.WriteAllBytesAsync(Path.Combine(dir, name + ".jpg"), image.Jpeg);
            using var decoded = SKBitmap.Decode(image.Jpeg);
            using var png = decoded.Encode(SKEncodedImageFormat.Png, 100);
            await File.WriteAllBytesAsync(Path.Combine(dir, name + ".png"), png.ToArray());
            Console.WriteLine($"{name}: {image.ContentClass} {sw.ElapsedMilliseconds} ms");
        }
        var source = await File.ReadAllBytesAsync(Path.Combine(dir, "boat.jpg"));
        using var maskSurface = SKSurface.Create(new SKImageInfo(1024, 1024));
        maskSurface.Canvas.Clear(SKColors.Black);
        using (var white = new SKPaint { Color = SKColors.White }) maskSurface.Canvas.DrawCircle(512, 600, 220, white);
        using var maskImage = maskSurface.Snapshot();
        using var maskData = maskImage.Encode(SKEncodedImageFormat.Png, 100);
        (string Name, GenerationRequest Request)[] edits =
        [
            ("expand", new() { Operation = ImageOperation.Expand, Width = 2048, Height = 1024, Seed = 3, Source = source, Prompt = "sea", Placement = new Placement(Horizontal: HorizontalAlignment.Left) }),
            ("fill", new() { Operation = ImageOperation.Fill, Width = 1024, Height = 1024, Seed = 3, Source = source, Mask = maskData.ToArray(), Prompt = "a red fish" }),
            ("similar", new() { Operation = ImageOperation.GenerateSimilar, Width = 1024, Height = 1024, Seed = 3, Source = source }),
            ("composite", new() { Operation = ImageOperation.ObjectComposite, Width = 1024, Height = 1024, Seed = 3, Source = source, Mask = maskData.ToArray(), Prompt = "a desert at sunset" }),
        ];
        foreach (var (name, request) in edits)
        {
            var image = await engine.GenerateAsync(request, null, CancellationToken.None);
            using var decoded = SKBitmap.Decode(image.Jpeg);
            using var png = decoded.Encode(SKEncodedImageFormat.Png, 100);
            await File.WriteAllBytesAsync(Path.Combine(dir, name + ".png"), png.ToArray());
        }
    }
}
