using System.Text.Json;
using Kiln.Server.Generation;

namespace Kiln.Server.Firefly;

/// <summary>
/// An input image reference. As the client sent it: <see cref="Url"/> or <see cref="UploadId"/>.
/// Once resolved: <see cref="BlobKey"/> (an upload or one of Kiln's own URLs) or an external <see cref="Url"/>.
/// </summary>
public sealed record SourceRef(string? Url = null, string? UploadId = null, string? BlobKey = null);

/// <summary>
/// A validated image request. It is what an async job stores (with sources resolved and seeds fixed),
/// so a job re-run after a restart renders exactly the same images.
/// </summary>
public sealed record ImageSpec
{
    public required ImageOperation Operation { get; init; }
    public bool Async { get; init; }
    /// <summary>Null: the output takes the source's size (sync fill).</summary>
    public int? Width { get; init; }
    public int? Height { get; init; }
    public int NumVariations { get; init; } = 1;
    /// <summary>Exactly <see cref="NumVariations"/> seeds once the request is accepted.</summary>
    public List<int> Seeds { get; init; } = [];
    public string? Prompt { get; init; }
    public string? NegativePrompt { get; init; }
    public string? ContentClass { get; init; }
    public List<string> StylePresets { get; init; } = [];
    public int? StyleStrength { get; init; }
    public int? VisualIntensity { get; init; }
    public bool Tileable { get; init; }
    public string? LocaleCode { get; init; }
    public string? ModelVersion { get; init; }
    /// <summary>Async generate: the custom model (<c>customModelId</c>); required with an <c>*_custom</c> model.</summary>
    public string? CustomModelId { get; init; }
    /// <summary>Async generate with <c>image4_custom</c>: <c>default</c> or <c>low_creativity</c>.</summary>
    public string? UpsamplerType { get; init; }
    public SourceRef? Source { get; init; }
    public SourceRef? Mask { get; init; }
    /// <summary>Where the mask was given (<c>loc</c> of its errors); null in jobs stored before it existed.</summary>
    public string[]? MaskLoc { get; init; }
    public bool InvertMask { get; init; }
    public Placement? Placement { get; init; }
    public SourceRef? StyleReference { get; init; }
    public SourceRef? StructureReference { get; init; }
    public int? StructureStrength { get; init; }

    /// <summary>The form a job stores (<see cref="Data.Job.Request"/>).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    public static ImageSpec FromJson(string json) => JsonSerializer.Deserialize<ImageSpec>(json, JsonSerializerOptions.Web)!;
}

public static class Operations
{
    public static readonly (string Path, ImageOperation Op)[] All =
    [
        ("generate", ImageOperation.Generate),
        ("generate-similar", ImageOperation.GenerateSimilar),
        ("expand", ImageOperation.Expand),
        ("fill", ImageOperation.Fill),
        ("generate-object-composite", ImageOperation.ObjectComposite),
    ];

    public static string PathOf(ImageOperation op) => All.First(x => x.Op == op).Path;

    /// <summary>Generate and object composite echo <c>contentClass</c> (docs/firefly.md#responses).</summary>
    public static bool EchoesContentClass(ImageOperation op) => op is ImageOperation.Generate or ImageOperation.ObjectComposite;
}

/// <summary>The allowed output sizes of docs/firefly.md#output-sizes.</summary>
public static class SizeRules
{
    private static readonly (int, int)[] SyncList = [(2048, 2048), (2304, 1792), (1792, 2304), (2688, 1536), (1344, 768), (1152, 896), (896, 1152), (1024, 1024)];
    private static readonly (int, int)[] Image3 = [(2048, 2048), (1024, 1024), (2304, 1792), (1792, 2304), (2688, 1536), (2688, 1512), (1344, 768), (1344, 756), (1152, 896), (896, 1152)];
    private static readonly (int, int)[] Image4 = [(2048, 2048), (2304, 1792), (1792, 2304), (2688, 1536), (1440, 2560)];
    private static readonly (int, int)[] AsyncFillOc = [(2048, 2048), (1024, 1024), (2304, 1792), (1792, 2304), (2688, 1536), (1344, 768), (1152, 896), (896, 1152)];

    public static readonly string[] GenerateModels = ["image3", "image3_custom", "image4_standard", "image4_ultra", "image4_custom"];
    public static readonly string[] SimilarModels = ["image3", "image4_standard", "image4_ultra"];

    /// <summary>The largest width/height the Size schema accepts.</summary>
    public static int MaxSide(ImageOperation op, bool isAsync) => !isAsync ? 2688 : op == ImageOperation.Expand ? 3999 : 4096;

    /// <summary>The allowed list, or null when any size up to <see cref="MaxSide"/> is fine.</summary>
    public static (int W, int H)[]? Allowed(ImageOperation op, bool isAsync, string? model) => (op, isAsync) switch
    {
        (ImageOperation.Expand, _) => null,
        (ImageOperation.Fill, false) => null, // sync fill takes the source's size
        (_, false) => SyncList,
        (ImageOperation.Generate, true) => model is not null && model.StartsWith("image4", StringComparison.Ordinal) ? Image4 : Image3,
        (ImageOperation.GenerateSimilar, true) => Image3,
        _ => AsyncFillOc,
    };
}
