using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Server.Generation;

namespace Kiln.Server.Firefly;

/// <summary>Validates a request body per docs/firefly.md#validation and turns it into an <see cref="ImageSpec"/>.</summary>
internal static partial class ImageRequestParser
{
    private static readonly object[] Body = ["body"];
    private static readonly string[] ContentClasses = ["photo", "art"];
    private static readonly string[] Horizontal = ["center", "left", "right"];
    private static readonly string[] Vertical = ["center", "top", "bottom"];
    private static readonly string[] Upsamplers = ["default", "low_creativity"];

    [GeneratedRegex("^[a-z]{2}-[A-Z]{2}$")]
    private static partial Regex LocalePattern();

    /// <summary>The spec, or a 422 <see cref="Refusal"/> listing every problem.</summary>
    public static Checked<ImageSpec> Parse(JsonElement root, ImageOperation op, bool isAsync, string? modelHeader)
    {
        var c = new BodyChecker();
        if (root.ValueKind != JsonValueKind.Object)
            return Refusal.Validation([new ValidationError(Body, "value is not a valid dict", "type_error.dict")]);

        string? model = null;
        if (isAsync && op is ImageOperation.Generate or ImageOperation.GenerateSimilar && modelHeader is { Length: > 0 })
        {
            var allowed = op == ImageOperation.Generate ? SizeRules.GenerateModels : SizeRules.SimilarModels;
            if (allowed.Contains(modelHeader, StringComparer.Ordinal)) model = modelHeader;
            else c.Add(["header", "x-model-version"], "value is not a valid enumeration member; permitted: " + string.Join(", ", allowed.Select(x => $"'{x}'")),
                "type_error.enum", new() { ["enum_values"] = allowed });
        }

        var has = Has(op, isAsync);
        var prompt = c.String(root, "prompt", Body, 1, 1024, required: has.PromptRequired);
        if (!has.Prompt) prompt = null;
        var negative = has.Negative ? c.String(root, "negativePrompt", Body, 0, 1024) : null;
        var numVariations = c.Int(root, "numVariations", Body, 1, 4);
        var seeds = Seeds(c, root);
        var (width, height) = Size(c, root, op, isAsync, model);
        var contentClass = has.ContentClass ? c.Enum(root, "contentClass", Body, ContentClasses) : null;
        var tileable = has.Tileable && c.Bool(root, "tileable", Body) == true;
        var locale = has.Locale ? c.String(root, "promptBiasingLocaleCode", Body) : null;
        if (locale is not null && !LocalePattern().IsMatch(locale))
            c.Add(BodyChecker.Loc(Body, "promptBiasingLocaleCode"), $"string does not match regex \"{LocalePattern()}\"", "value_error.str.regex", new() { ["pattern"] = LocalePattern().ToString() });

        int? visualIntensity = null;
        string? customModelId = null, upsampler = null;
        if (op == ImageOperation.Generate)
        {
            visualIntensity = c.Int(root, "visualIntensity", Body, 2, 10);
            if (visualIntensity is not null && model == "image4_custom")
                c.Add(BodyChecker.Loc(Body, "visualIntensity"), "visualIntensity is not supported with image4_custom", "value_error");
            if (isAsync)
            {
                customModelId = c.String(root, "customModelId", Body, 1, 256);
                if (model is not null && model.EndsWith("_custom", StringComparison.Ordinal) && customModelId is null && BodyChecker.Get(root, "customModelId") is null)
                    c.Missing(BodyChecker.Loc(Body, "customModelId"));
                upsampler = c.Enum(root, "upsamplerType", Body, Upsamplers);
                if (upsampler is not null && model != "image4_custom")
                    c.Add(BodyChecker.Loc(Body, "upsamplerType"), "upsamplerType is only supported with image4_custom", "value_error");
            }
        }

        List<string> presets = [];
        int? styleStrength = null;
        SourceRef? styleRef = null;
        if (has.Style && c.Object(root, "style", Body, false) is { } style)
        {
            var sl = BodyChecker.Loc(Body, "style");
            if (c.List(style, "presets", sl, 0, 100) is { } items)
            {
                for (var i = 0; i < items.Length; i++)
                    if (c.StringValue(items[i], [.. sl, "presets", i], 1, 256) is { } p) presets.Add(p);
                if (presets.Distinct(StringComparer.Ordinal).Count() != presets.Count) c.NotUnique(BodyChecker.Loc(sl, "presets"));
            }
            styleStrength = c.Int(style, "strength", sl, 0, 100, exclusiveMin: true);
            styleRef = ImageReference(c, style, sl);
        }

        int? structureStrength = null;
        SourceRef? structureRef = null;
        if (op == ImageOperation.Generate && c.Object(root, "structure", Body, false) is { } structure)
        {
            var sl = BodyChecker.Loc(Body, "structure");
            structureStrength = c.Int(structure, "strength", sl, 0, 100);
            structureRef = ImageReference(c, structure, sl);
        }

        // Image, mask and placement.
        SourceRef? source = null, mask = null;
        string[]? maskLoc = null;
        var invert = false;
        if (op != ImageOperation.Generate && c.Object(root, "image", Body, required: true) is { } image)
        {
            var il = BodyChecker.Loc(Body, "image");
            source = Source(c, image, il, required: true);
            if (op != ImageOperation.GenerateSimilar && c.Object(image, "mask", il, false) is { } im)
            {
                // docs/firefly.md#sdk-schema-conformance: the SDK's image.mask is a PublicBinaryInput ({uploadId} or
                // {url}); the {source: {...}} form is accepted too.
                var ml = BodyChecker.Loc(il, "mask");
                if (BodyChecker.Get(im, "source") is null)
                {
                    mask = Binary(c, im, ml);
                    maskLoc = ["body", "image", "mask"];
                }
                else
                {
                    mask = Source(c, im, ml, required: true);
                    maskLoc = ["body", "image", "mask", "source"];
                }
            }
        }
        if (op is ImageOperation.Expand or ImageOperation.Fill or ImageOperation.ObjectComposite && c.Object(root, "mask", Body, false) is { } topMask)
        {
            var ml = BodyChecker.Loc(Body, "mask");
            var top = Source(c, topMask, ml, required: true);
            if (top is not null) (mask, maskLoc) = (top, ["body", "mask", "source"]);
            invert = c.Bool(topMask, "invert", ml) == true;
        }
        if (op == ImageOperation.Fill && mask is null && BodyChecker.Get(root, "mask") is null && BodyChecker.Get(BodyChecker.Get(root, "image") ?? default, "mask") is null)
            c.Missing(isAsync ? BodyChecker.Loc(Body, "mask") : ["body", "image", "mask"]);

        Placement? placement = null;
        if (op is ImageOperation.Expand or ImageOperation.ObjectComposite && c.Object(root, "placement", Body, false) is { } pl)
        {
            placement = ParsePlacement(c, pl);
            if (mask is not null) c.Add(BodyChecker.Loc(Body, "placement"), "placement cannot be combined with a mask", "value_error");
        }

        // numVariations defaults to len(seeds), else 1; when both are given they must agree (docs/firefly.md#request-fields).
        if (numVariations is { } nv && seeds is { } s && nv != s.Count)
            c.Add(BodyChecker.Loc(Body, "numVariations"), "numVariations must equal the number of seeds", "value_error");

        if (c.Errors.Count > 0) return Refusal.Validation(c.Errors);

        var count = numVariations ?? seeds?.Count ?? 1;
        // docs/firefly.md#seeds-and-determinism: absent seeds are random, in [0, 2^31), one per output.
        var finalSeeds = seeds ?? Enumerable.Range(0, count).Select(_ => RandomNumberGenerator.GetInt32(0, int.MaxValue)).ToList();
        return new ImageSpec
        {
            Operation = op, Async = isAsync, Width = width, Height = height, NumVariations = count, Seeds = finalSeeds,
            Prompt = prompt, NegativePrompt = negative, ContentClass = contentClass, StylePresets = presets, StyleStrength = styleStrength,
            VisualIntensity = visualIntensity, Tileable = tileable, LocaleCode = locale, ModelVersion = model ?? (isAsync && op is ImageOperation.Generate or ImageOperation.GenerateSimilar ? "image3" : null),
            CustomModelId = customModelId, UpsamplerType = upsampler,
            Source = source, Mask = mask, MaskLoc = maskLoc, InvertMask = invert, Placement = placement,
            StyleReference = styleRef, StructureReference = structureRef, StructureStrength = structureStrength,
        };
    }

    private sealed record Fields(bool Prompt, bool PromptRequired, bool Negative, bool ContentClass, bool Style, bool Tileable, bool Locale);

    private static Fields Has(ImageOperation op, bool isAsync) => op switch
    {
        ImageOperation.Generate => new(true, true, true, true, true, !isAsync, true),
        ImageOperation.GenerateSimilar => new(false, false, false, false, false, !isAsync, false),
        ImageOperation.Expand => new(true, false, false, false, false, false, false),
        ImageOperation.Fill => new(true, false, true, false, false, false, true),
        _ => new(true, true, false, true, true, false, false),
    };

    private static List<int>? Seeds(BodyChecker c, JsonElement root)
    {
        if (c.List(root, "seeds", Body, 1, 4) is not { } items) return null;
        var seeds = new List<int>();
        for (var i = 0; i < items.Length; i++)
            if (c.IntValue(items[i], ["body", "seeds", i], 0, int.MaxValue) is { } s) seeds.Add(s);
        if (seeds.Count != items.Length) return null;
        if (seeds.Distinct().Count() != seeds.Count)
        {
            c.NotUnique(BodyChecker.Loc(Body, "seeds"));
            return null;
        }
        return seeds;
    }

    private static (int?, int?) Size(BodyChecker c, JsonElement root, ImageOperation op, bool isAsync, string? model)
    {
        var syncFill = op == ImageOperation.Fill && !isAsync;
        if (syncFill || c.Object(root, "size", Body, false) is not { } size)
            return op == ImageOperation.Fill ? (null, null) : (2048, 2048);
        var sl = BodyChecker.Loc(Body, "size");
        var max = SizeRules.MaxSide(op, isAsync);
        var w = c.Int(size, "width", sl, 1, max, required: true);
        var h = c.Int(size, "height", sl, 1, max, required: true);
        if (w is null || h is null) return (null, null);
        if (SizeRules.Allowed(op, isAsync, model) is { } list && !list.Contains((w.Value, h.Value)))
        {
            var allowed = list.Select(x => $"{x.W}x{x.H}").ToArray();
            c.Add(sl, $"size {w}x{h} is not supported for this operation; allowed: {string.Join(", ", allowed)}", "value_error.size",
                new() { ["allowed_sizes"] = allowed });
        }
        return (w, h);
    }

    private static SourceRef? ImageReference(BodyChecker c, JsonElement parent, object[] parentLoc)
    {
        // The SDK's StylesImageReference and StructureImageReference have an optional source: {} means no reference.
        if (c.Object(parent, "imageReference", parentLoc, false) is not { } r) return null;
        return Source(c, r, BodyChecker.Loc(parentLoc, "imageReference"), required: false);
    }

    /// <summary>Reads <c>{source: {url? | uploadId?}}</c> from <paramref name="holder"/>.</summary>
    private static SourceRef? Source(BodyChecker c, JsonElement holder, object[] holderLoc, bool required) =>
        c.Object(holder, "source", holderLoc, required) is { } src ? Binary(c, src, BodyChecker.Loc(holderLoc, "source")) : null;

    /// <summary>Reads a PublicBinaryInput, <c>{url}</c> or <c>{uploadId}</c>: exactly one of the two.</summary>
    private static SourceRef? Binary(BodyChecker c, JsonElement src, object[] sl)
    {
        var url = c.String(src, "url", sl, 1, 2083);
        var upload = c.String(src, "uploadId", sl);
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https")))
        {
            c.Add(BodyChecker.Loc(sl, "url"), "invalid or missing URL scheme", "value_error.url.scheme");
            return null;
        }
        if (upload is not null && !Guid.TryParseExact(upload, "D", out _))
        {
            c.Add(BodyChecker.Loc(sl, "uploadId"), "value is not a valid uuid", "type_error.uuid");
            return null;
        }
        if ((url is null) == (upload is null))
        {
            if (BodyChecker.Get(src, "url") is null && BodyChecker.Get(src, "uploadId") is null)
                c.Add(sl, "exactly one of url or uploadId is required", "value_error");
            else if (url is not null) c.Add(sl, "url and uploadId cannot both be given", "value_error");
            return null;
        }
        return new SourceRef(Url: url, UploadId: upload);
    }

    private static Placement ParsePlacement(BodyChecker c, JsonElement pl)
    {
        var loc = BodyChecker.Loc(Body, "placement");
        int? l = null, t = null, r = null, b = null;
        if (c.Object(pl, "inset", loc, false) is { } inset)
        {
            var il = BodyChecker.Loc(loc, "inset");
            l = c.Int(inset, "left", il, 0, 4096);
            t = c.Int(inset, "top", il, 0, 4096);
            r = c.Int(inset, "right", il, 0, 4096);
            b = c.Int(inset, "bottom", il, 0, 4096);
        }
        var h = HorizontalAlignment.Center;
        var v = VerticalAlignment.Center;
        if (c.Object(pl, "alignment", loc, false) is { } al)
        {
            var al2 = BodyChecker.Loc(loc, "alignment");
            h = c.Enum(al, "horizontal", al2, Horizontal) switch { "left" => HorizontalAlignment.Left, "right" => HorizontalAlignment.Right, _ => HorizontalAlignment.Center };
            v = c.Enum(al, "vertical", al2, Vertical) switch { "top" => VerticalAlignment.Top, "bottom" => VerticalAlignment.Bottom, _ => VerticalAlignment.Center };
        }
        return new Placement(l, t, r, b, h, v);
    }
}
