using Kiln.Server.Generation.Operations;

namespace Kiln.Server.Generation;

/// <summary>
/// The built-in engine: paints a layered vector scene from the prompt with SkiaSharp, deterministically (own PRNG
/// and hashes, no fonts), and uses the input images of the editing operations for real. Thread-safe: every call owns
/// its surfaces and random streams. Smooth content is painted at about 0.8 megapixels and upscaled, so a 2048x2048
/// render costs about as much as its JPEG encoding. <see cref="GenerationRequest.Tileable"/> is accepted and ignored.
/// </summary>
public sealed class ProceduralImageGenerator : IImageGenerator
{
    public const int MaxOutputSide = 8192;

    public Task<GeneratedImage> GenerateAsync(GenerationRequest request, IProgress<double>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Width is < 1 or > MaxOutputSide || request.Height is < 1 or > MaxOutputSide)
            throw new ArgumentOutOfRangeException(nameof(request), $"Output size {request.Width}x{request.Height} is outside 1..{MaxOutputSide}.");
        return Task.Run(() => Generate(request, progress, ct), ct);
    }

    /// <summary>The synchronous core (also used by benchmarks).</summary>
    internal static GeneratedImage Generate(GenerationRequest request, IProgress<double>? progress, CancellationToken ct)
    {
        var job = new RenderJob(request, progress, ct);
        job.Step(0.02);
        using var target = new Target(request.Width, request.Height);
        var contentClass = request.Operation switch
        {
            ImageOperation.Generate => GenerateOperation.Run(job, target),
            ImageOperation.GenerateSimilar => SimilarOperation.Run(job, target),
            ImageOperation.Expand => ExpandOperation.Run(job, target),
            ImageOperation.Fill => FillOperation.Run(job, target),
            ImageOperation.ObjectComposite => CompositeOperation.Run(job, target),
            _ => throw new ArgumentOutOfRangeException(nameof(request), $"Unknown operation {request.Operation}."),
        };
        job.Step(0.85);
        var jpeg = target.EncodeJpeg();
        job.Step(1.0);
        return new GeneratedImage(jpeg, request.Width, request.Height, contentClass);
    }
}
