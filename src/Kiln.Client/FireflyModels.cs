using System.Text.Json.Serialization;

namespace Kiln.Client;

/// <summary>An output size (docs/firefly.md#output-sizes).</summary>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
public sealed record ImageSize(int Width, int Height)
{
    /// <summary>Parses <c>2048x2048</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="size">The size.</param>
    public static bool TryParse(string? text, out ImageSize size)
    {
        size = new ImageSize(0, 0);
        var parts = (text ?? "").Split('x', 'X');
        if (parts.Length != 2 || !int.TryParse(parts[0], out var w) || !int.TryParse(parts[1], out var h) || w < 1 || h < 1) return false;
        size = new ImageSize(w, h);
        return true;
    }
}

/// <summary>
/// An image, wherever one is named: an input (<c>{"source":{"url"}}</c> or <c>{"source":{"uploadId"}}</c>), a style or
/// structure reference, or an output (<c>{"url"}</c>). Make one with <see cref="FromUpload"/> or <see cref="FromUrl"/>.
/// </summary>
[JsonConverter(typeof(Internal.ImageReferenceConverter))]
public sealed record ImageReference
{
    /// <summary>A pre-signed URL (inputs from storage, and every output).</summary>
    public Uri? Url { get; init; }

    /// <summary>The id of an upload (<see cref="FireflyClient.UploadAsync"/>).</summary>
    public string? UploadId { get; init; }

    /// <summary>An uploaded image.</summary>
    /// <param name="uploadId">The upload id.</param>
    public static ImageReference FromUpload(string uploadId) => new() { UploadId = uploadId ?? throw new ArgumentNullException(nameof(uploadId)) };

    /// <summary>An image at a URL.</summary>
    /// <param name="url">The URL.</param>
    public static ImageReference FromUrl(Uri url) => new() { Url = url ?? throw new ArgumentNullException(nameof(url)) };
}

/// <summary>A mask: the area to fill, or to keep (<c>{"source":{...},"invert"}</c> on the wire).</summary>
/// <param name="Source">The mask image.</param>
/// <param name="Invert">Invert it.</param>
[JsonConverter(typeof(Internal.ImageMaskConverter))]
public sealed record ImageMask(ImageReference Source, bool? Invert = null);

/// <summary>A content class: photo or art.</summary>
[JsonConverter(typeof(Internal.LowerCaseEnumConverter<ContentClass>))]
public enum ContentClass
{
    /// <summary><c>photo</c>.</summary>
    Photo,
    /// <summary><c>art</c>.</summary>
    Art,
}

/// <summary>Style options.</summary>
/// <param name="Presets">Style presets.</param>
/// <param name="Strength">1..100.</param>
/// <param name="ImageReference">A style reference image.</param>
public sealed record StyleOptions(IReadOnlyList<string>? Presets = null, int? Strength = null, ImageReference? ImageReference = null);

/// <summary>Structure reference.</summary>
/// <param name="Strength">0..100.</param>
/// <param name="ImageReference">The structure image.</param>
public sealed record StructureOptions(int? Strength = null, ImageReference? ImageReference = null);

/// <summary>Inset placement.</summary>
/// <param name="Left">Left.</param>
/// <param name="Top">Top.</param>
/// <param name="Right">Right.</param>
/// <param name="Bottom">Bottom.</param>
public sealed record Inset(int Left, int Top, int Right, int Bottom);

/// <summary>Where the image goes across the canvas (the wire's <c>center</c>, <c>left</c>, <c>right</c>).</summary>
[JsonConverter(typeof(Internal.LowerCaseEnumConverter<HorizontalAlignment>))]
public enum HorizontalAlignment
{
    /// <summary>Centered.</summary>
    Center = 0,

    /// <summary>At the left edge.</summary>
    Left = 1,

    /// <summary>At the right edge.</summary>
    Right = 2,
}

/// <summary>Where the image goes down the canvas (the wire's <c>center</c>, <c>top</c>, <c>bottom</c>).</summary>
[JsonConverter(typeof(Internal.LowerCaseEnumConverter<VerticalAlignment>))]
public enum VerticalAlignment
{
    /// <summary>Centered.</summary>
    Center = 0,

    /// <summary>At the top edge.</summary>
    Top = 1,

    /// <summary>At the bottom edge.</summary>
    Bottom = 2,
}

/// <summary>Alignment placement; a side left null is the server's default (centered).</summary>
/// <param name="Horizontal">Across.</param>
/// <param name="Vertical">Down.</param>
public sealed record Alignment(HorizontalAlignment? Horizontal = null, VerticalAlignment? Vertical = null);

/// <summary>Placement of the source in expand and object composite.</summary>
/// <param name="Inset">Inset.</param>
/// <param name="Alignment">Alignment.</param>
public sealed record Placement(Inset? Inset = null, Alignment? Alignment = null);

/// <summary>Fields every image operation shares.</summary>
public abstract record ImageOperationRequest
{
    /// <summary>1..4 images.</summary>
    public int? NumVariations { get; init; }
    /// <summary>Seeds, one per image.</summary>
    public IReadOnlyList<int>? Seeds { get; init; }
    /// <summary>Output size.</summary>
    public ImageSize? Size { get; init; }
    /// <summary>Sent as the <c>x-model-version</c> header (async generate and similar), not in the body.</summary>
    [JsonIgnore] public string? ModelVersion { get; init; }
}

/// <summary><c>/v3/images/generate</c>.</summary>
public sealed record GenerateImagesRequest : ImageOperationRequest
{
    /// <summary>The prompt (required).</summary>
    public required string Prompt { get; init; }
    /// <summary>What to avoid.</summary>
    public string? NegativePrompt { get; init; }
    /// <summary>Photo or art.</summary>
    public ContentClass? ContentClass { get; init; }
    /// <summary>Style.</summary>
    public StyleOptions? Style { get; init; }
    /// <summary>Structure reference.</summary>
    public StructureOptions? Structure { get; init; }
    /// <summary>2..10.</summary>
    public int? VisualIntensity { get; init; }
    /// <summary>e.g. <c>en-US</c>.</summary>
    public string? PromptBiasingLocaleCode { get; init; }
    /// <summary>Tileable output (sync only).</summary>
    public bool? Tileable { get; init; }
    /// <summary>A custom model (async).</summary>
    public string? CustomModelId { get; init; }
    /// <summary><c>default</c> or <c>low_creativity</c> (image4_custom).</summary>
    public string? UpsamplerType { get; init; }
}

/// <summary><c>/v3/images/generate-similar</c>.</summary>
public sealed record GenerateSimilarImagesRequest : ImageOperationRequest
{
    /// <summary>The reference image (required).</summary>
    public required ImageReference Image { get; init; }
    /// <summary>Tileable output (sync only).</summary>
    public bool? Tileable { get; init; }
}

/// <summary><c>/v3/images/expand</c>.</summary>
public sealed record ExpandImageRequest : ImageOperationRequest
{
    /// <summary>The image to expand (required).</summary>
    public required ImageReference Image { get; init; }
    /// <summary>Optional prompt.</summary>
    public string? Prompt { get; init; }
    /// <summary>Optional mask (async).</summary>
    public ImageMask? Mask { get; init; }
    /// <summary>Where the source goes.</summary>
    public Placement? Placement { get; init; }
}

/// <summary><c>/v3/images/fill</c>.</summary>
public sealed record FillImageRequest : ImageOperationRequest
{
    /// <summary>The image (required).</summary>
    public required ImageReference Image { get; init; }
    /// <summary>The area to fill (async: top-level, required).</summary>
    public ImageMask? Mask { get; init; }
    /// <summary>Optional prompt.</summary>
    public string? Prompt { get; init; }
    /// <summary>What to avoid.</summary>
    public string? NegativePrompt { get; init; }
    /// <summary>e.g. <c>en-US</c>.</summary>
    public string? PromptBiasingLocaleCode { get; init; }
}

/// <summary><c>/v3/images/generate-object-composite</c>.</summary>
public sealed record ObjectCompositeRequest : ImageOperationRequest
{
    /// <summary>The scene prompt (required).</summary>
    public required string Prompt { get; init; }
    /// <summary>The object image (required).</summary>
    public required ImageReference Image { get; init; }
    /// <summary>Optional mask.</summary>
    public ImageMask? Mask { get; init; }
    /// <summary>Photo or art.</summary>
    public ContentClass? ContentClass { get; init; }
    /// <summary>Style.</summary>
    public StyleOptions? Style { get; init; }
    /// <summary>Where the object goes.</summary>
    public Placement? Placement { get; init; }
}

/// <summary>One output.</summary>
/// <param name="Seed">The seed that reproduces it.</param>
/// <param name="Image">Where to download it.</param>
public sealed record OutputImage(long Seed, ImageReference Image);

/// <summary>The result of an image operation (docs/firefly.md#responses).</summary>
/// <param name="Size">The output size.</param>
/// <param name="Outputs">The images.</param>
/// <param name="ContentClass">The detected or requested class.</param>
public sealed record ImagesResponse(ImageSize Size, IReadOnlyList<OutputImage> Outputs, ContentClass? ContentClass = null)
{
    /// <summary>The prompt had denied words.</summary>
    public bool? PromptHasDeniedWords { get; init; }
    /// <summary>The prompt named blocked artists.</summary>
    public bool? PromptHasBlockedArtists { get; init; }
}

/// <summary>An accepted async job (202).</summary>
/// <param name="JobId">The job id (<c>urn:ff:jobs:...</c>).</param>
/// <param name="StatusUrl">Absolute URL to poll.</param>
/// <param name="CancelUrl">Absolute URL to cancel.</param>
public sealed record FireflyJob(string JobId, Uri StatusUrl, Uri CancelUrl);

/// <summary>A job status (docs/firefly.md#responses).</summary>
/// <param name="JobId">The job.</param>
/// <param name="Status">Pending, running, succeeded, failed, canceled or timeout.</param>
/// <param name="Progress">Percent, when reported.</param>
/// <param name="Result">The images, on success.</param>
public sealed record FireflyJobStatus(string JobId, FireflyJobState Status, double? Progress = null, ImagesResponse? Result = null)
{
    /// <summary>The error code of a failed job.</summary>
    [JsonPropertyName("error_code")] public string? ErrorCode { get; init; }
    /// <summary>The message of a failed job.</summary>
    public string? Message { get; init; }

    /// <summary>True for succeeded, failed, canceled and timeout.</summary>
    [JsonIgnore] public bool IsTerminal => Status is FireflyJobState.Succeeded or FireflyJobState.Failed or FireflyJobState.Canceled or FireflyJobState.Timeout;
}

/// <summary>The state of an async job (the wire's <c>status</c>; both spellings of canceled read as <see cref="Canceled"/>).</summary>
[JsonConverter(typeof(Internal.LowerCaseEnumConverter<FireflyJobState>))]
public enum FireflyJobState
{
    /// <summary>A status this client does not know.</summary>
    Unknown,
    /// <summary><c>pending</c>.</summary>
    Pending,
    /// <summary><c>running</c>.</summary>
    Running,
    /// <summary><c>succeeded</c>.</summary>
    Succeeded,
    /// <summary><c>failed</c>.</summary>
    Failed,
    /// <summary><c>canceled</c> or <c>cancelled</c>.</summary>
    Canceled,
    /// <summary><c>timeout</c>.</summary>
    Timeout,
}

/// <summary>A progress report while waiting for a job.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Status">The last known status.</param>
/// <param name="Percent">The last reported percent, if any.</param>
/// <param name="Elapsed">Time since waiting began.</param>
/// <param name="FailedPolls">Polls that failed transiently so far (the wait went on).</param>
public sealed record JobProgress(string JobId, FireflyJobState Status, double? Percent, TimeSpan Elapsed, int FailedPolls);
