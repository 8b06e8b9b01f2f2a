namespace Kiln.Server.Generation;

/// <summary>The image operations of the Firefly API (docs/firefly.md#endpoints).</summary>
public enum ImageOperation
{
    Generate,
    GenerateSimilar,
    Expand,
    Fill,
    ObjectComposite,
}

public enum HorizontalAlignment { Center, Left, Right }

public enum VerticalAlignment { Center, Top, Bottom }

/// <summary>Where the source goes on the output canvas (expand and object composite).</summary>
public sealed record Placement(
    int? InsetLeft = null, int? InsetTop = null, int? InsetRight = null, int? InsetBottom = null,
    HorizontalAlignment Horizontal = HorizontalAlignment.Center, VerticalAlignment Vertical = VerticalAlignment.Center);

/// <summary>
/// One output image to make. Inputs arrive encoded (JPEG, PNG or WebP bytes), as a model-backed or upstream
/// engine would want them; the engine decodes what it needs. Everything that affects pixels is in here,
/// so the same request always gives the same bytes.
/// </summary>
public sealed record GenerationRequest
{
    public required ImageOperation Operation { get; init; }
    public required int Width { get; init; }
    public required int Height { get; init; }
    public required int Seed { get; init; }
    public string? Prompt { get; init; }
    public string? NegativePrompt { get; init; }
    /// <summary>"photo" or "art"; null lets the engine decide from the prompt.</summary>
    public string? ContentClass { get; init; }
    public IReadOnlyList<string> StylePresets { get; init; } = [];
    /// <summary>1..100, null when not given.</summary>
    public int? StyleStrength { get; init; }
    /// <summary>2..10, null when not given.</summary>
    public int? VisualIntensity { get; init; }
    public bool Tileable { get; init; }
    /// <summary>The source image (similar, expand, fill, object composite).</summary>
    public byte[]? Source { get; init; }
    /// <summary>The mask (fill; optional for expand and object composite). White = the area to change.</summary>
    public byte[]? Mask { get; init; }
    public bool InvertMask { get; init; }
    public Placement? Placement { get; init; }
    public byte[]? StyleReference { get; init; }
    public byte[]? StructureReference { get; init; }
    public int? StructureStrength { get; init; }
}

/// <summary>A finished image: JPEG bytes at exactly the requested size.</summary>
public sealed record GeneratedImage(byte[] Jpeg, int Width, int Height, string ContentClass);

/// <summary>
/// The seam for image engines: the built-in procedural engine now, a local model or an upstream provider later.
/// Implementations must be deterministic for the built-in engine's guarantees and thread-safe.
/// </summary>
public interface IImageGenerator
{
    /// <summary>Renders one image. <paramref name="progress"/> receives 0..1 as work advances.</summary>
    Task<GeneratedImage> GenerateAsync(GenerationRequest request, IProgress<double>? progress, CancellationToken ct);
}

/// <summary>An input image the engine could not decode, or one too large to decode safely.</summary>
public sealed class InvalidImageInputException(string message) : Exception(message);
