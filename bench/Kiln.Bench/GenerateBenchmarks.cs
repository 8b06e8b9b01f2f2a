using BenchmarkDotNet.Attributes;
using Kiln.Server.Generation;
using SkiaSharp;

namespace Kiln.Bench;

/// <summary>
/// Issue 3's budget: one 2048x2048 generate (render and encode) must cost at most twice a bare SkiaSharp JPEG
/// encode of a 2048x2048 image. The baseline encodes the engine's own output, so both encode the same kind of content.
/// </summary>
[MemoryDiagnoser]
public class GenerateBenchmarks
{
    private static readonly GenerationRequest Request = new()
    {
        Operation = ImageOperation.Generate,
        Width = 2048,
        Height = 2048,
        Seed = 1779323515,
        Prompt = "a realistic illustration of a cat coding",
    };

    private readonly ProceduralImageGenerator _engine = new();
    private SKImage? _rendered;

    [GlobalSetup]
    public void Setup()
    {
        var jpeg = _engine.GenerateAsync(Request, null, CancellationToken.None).GetAwaiter().GetResult().Jpeg;
        using var bitmap = SKBitmap.Decode(jpeg);
        _rendered = SKImage.FromBitmap(bitmap);
    }

    [GlobalCleanup]
    public void Cleanup() => _rendered?.Dispose();

    [Benchmark(Baseline = true)]
    public int EncodeJpeg2048()
    {
        using var data = _rendered!.Encode(SKEncodedImageFormat.Jpeg, 90);
        return (int)data.Size;
    }

    [Benchmark]
    public async Task<int> Generate2048() => (await _engine.GenerateAsync(Request, null, CancellationToken.None)).Jpeg.Length;
}
