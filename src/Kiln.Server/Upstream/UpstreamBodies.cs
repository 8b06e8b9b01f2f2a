using System.Text.Json.Nodes;
using Kiln.Server.Firefly;
using Kiln.Server.Generation;

namespace Kiln.Server.Upstream;

/// <summary>
/// The Firefly request an upstream gets for a validated <see cref="ImageSpec"/> (docs/firefly.md#validation): every
/// field Kiln accepted (docs/upstream.md#what-is-forwarded), seeds fixed, sources already turned into the upstream's
/// upload ids or allowed URLs; <c>x-model-version</c> goes as a header (<c>UpstreamEngine</c>). A sync request carries
/// the mask in <c>image.mask</c>, an async one in the top-level <c>mask</c>, as Adobe's specs want; an inverted mask
/// (only the top-level form has <c>invert</c>) is also sent top-level on a sync request, so the upstream inverts it too.
/// </summary>
public static class UpstreamBodies
{
    public static JsonObject For(ImageSpec spec, bool isAsync, Func<SourceRef, JsonObject> source)
    {
        var o = new JsonObject();
        if (spec.Prompt is { } p) o["prompt"] = p;
        if (spec.NegativePrompt is { } n) o["negativePrompt"] = n;
        o["numVariations"] = spec.Seeds.Count;
        o["seeds"] = new JsonArray([.. spec.Seeds.Select(s => (JsonNode)s)]);
        if (spec.Width is { } w && spec.Height is { } h) o["size"] = new JsonObject { ["width"] = w, ["height"] = h };
        if (spec.ContentClass is { } cc) o["contentClass"] = cc;
        if (spec.VisualIntensity is { } vi) o["visualIntensity"] = vi;
        if (spec.LocaleCode is { } lc) o["promptBiasingLocaleCode"] = lc;
        if (spec.Tileable) o["tileable"] = true;
        if (spec.CustomModelId is { } cm) o["customModelId"] = cm;
        if (spec.UpsamplerType is { } ut) o["upsamplerType"] = ut;
        if (spec.StylePresets.Count > 0 || spec.StyleStrength is not null || spec.StyleReference is not null)
        {
            var style = new JsonObject();
            if (spec.StylePresets.Count > 0) style["presets"] = new JsonArray([.. spec.StylePresets.Select(x => (JsonNode)x)]);
            if (spec.StyleStrength is { } ss) style["strength"] = ss;
            if (spec.StyleReference is { } sr) style["imageReference"] = new JsonObject { ["source"] = source(sr) };
            o["style"] = style;
        }
        if (spec.StructureStrength is not null || spec.StructureReference is not null)
        {
            var structure = new JsonObject();
            if (spec.StructureStrength is { } st) structure["strength"] = st;
            if (spec.StructureReference is { } r) structure["imageReference"] = new JsonObject { ["source"] = source(r) };
            o["structure"] = structure;
        }
        if (spec.Source is { } src)
        {
            var image = new JsonObject { ["source"] = source(src) };
            if (spec.Mask is { } m && !isAsync) image["mask"] = new JsonObject { ["source"] = source(m) };
            o["image"] = image;
        }
        if (spec.Mask is { } mask && (isAsync || spec.InvertMask))
        {
            var top = new JsonObject { ["source"] = source(mask) };
            if (spec.InvertMask) top["invert"] = true;
            o["mask"] = top;
        }
        if (spec.Placement is { } pl)
        {
            var placement = new JsonObject();
            if (pl.InsetLeft is not null || pl.InsetTop is not null || pl.InsetRight is not null || pl.InsetBottom is not null)
                placement["inset"] = new JsonObject { ["left"] = pl.InsetLeft ?? 0, ["top"] = pl.InsetTop ?? 0, ["right"] = pl.InsetRight ?? 0, ["bottom"] = pl.InsetBottom ?? 0 };
            placement["alignment"] = new JsonObject
            {
                ["horizontal"] = pl.Horizontal switch { HorizontalAlignment.Left => "left", HorizontalAlignment.Right => "right", _ => "center" },
                ["vertical"] = pl.Vertical switch { VerticalAlignment.Top => "top", VerticalAlignment.Bottom => "bottom", _ => "center" },
            };
            o["placement"] = placement;
        }
        return o;
    }
}
