using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>A colour treatment: saturation and contrast factors, a brightness shift (0..1 scale), a tint, grain and softness.</summary>
internal sealed record Grade(float Saturation = 1f, float Contrast = 1f, float Brightness = 0f, SKColor Tint = default, float TintAmount = 0f, float Grain = 0f, float Soften = 0f)
{
    /// <summary>Scales how far this grade moves away from neutral (style strength).</summary>
    public Grade Scaled(float f) => new(
        Math.Max(0f, 1f + (Saturation - 1f) * f), Math.Max(0.2f, 1f + (Contrast - 1f) * f), Brightness * f,
        Tint, Math.Clamp(TintAmount * f, 0f, 0.9f), Grain * f, Soften * f);

    public Grade Then(Grade next) => new(
        Saturation * next.Saturation, Contrast * next.Contrast, Brightness + next.Brightness,
        next.TintAmount > TintAmount ? next.Tint : Tint, Math.Clamp(TintAmount + next.TintAmount, 0f, 0.9f), Grain + next.Grain, Soften + next.Soften);
}

/// <summary>The style presets the built-in engine knows (Firefly preset ids). Unknown ids are ignored.</summary>
internal static class Presets
{
    private static readonly SKColor Sepia = new(200, 150, 100);
    private static readonly SKColor Gold = new(255, 180, 60);
    private static readonly SKColor Magenta = new(230, 60, 200);

    public static readonly IReadOnlyDictionary<string, Grade> All = new Dictionary<string, Grade>(StringComparer.OrdinalIgnoreCase)
    {
        ["bw"] = new(Saturation: 0f, Contrast: 1.15f),
        ["black_and_white"] = new(Saturation: 0f, Contrast: 1.15f),
        ["film_noir"] = new(Saturation: 0f, Contrast: 1.4f, Brightness: -0.08f, Grain: 4f),
        ["monochromatic"] = new(Saturation: 0f, Tint: new(80, 120, 200), TintAmount: 0.5f),
        ["neon"] = new(Saturation: 1.7f, Contrast: 1.25f, Brightness: -0.05f, Tint: Magenta, TintAmount: 0.15f),
        ["pastel_color"] = new(Saturation: 0.55f, Contrast: 0.8f, Brightness: 0.12f),
        ["muted_color"] = new(Saturation: 0.45f, Contrast: 0.9f),
        ["vibrant_colors"] = new(Saturation: 1.7f, Contrast: 1.1f),
        ["color_explosion"] = new(Saturation: 1.9f, Contrast: 1.15f),
        ["warm_tone"] = new(Tint: new(255, 150, 60), TintAmount: 0.2f),
        ["cool_colors"] = new(Tint: new(60, 130, 255), TintAmount: 0.2f),
        ["golden_hour"] = new(Saturation: 1.1f, Brightness: 0.03f, Tint: Gold, TintAmount: 0.28f),
        ["golden"] = new(Saturation: 1.1f, Tint: Gold, TintAmount: 0.22f),
        ["watercolor"] = new(Saturation: 0.8f, Contrast: 0.85f, Brightness: 0.08f, Soften: 1.5f),
        ["synthwave"] = new(Saturation: 1.45f, Contrast: 1.15f, Tint: new(180, 50, 230), TintAmount: 0.3f),
        ["vaporwave"] = new(Saturation: 1.2f, Brightness: 0.05f, Tint: new(240, 110, 220), TintAmount: 0.3f),
        ["cyberpunk"] = new(Saturation: 1.4f, Contrast: 1.2f, Brightness: -0.08f, Tint: new(40, 200, 220), TintAmount: 0.22f),
        ["dark"] = new(Contrast: 1.2f, Brightness: -0.15f),
        ["misty"] = new(Saturation: 0.7f, Contrast: 0.7f, Brightness: 0.1f, Soften: 1f),
        ["faded_image"] = new(Saturation: 0.65f, Contrast: 0.75f, Brightness: 0.08f),
        ["antique_photo"] = new(Saturation: 0.2f, Contrast: 0.9f, Tint: Sepia, TintAmount: 0.45f, Grain: 6f),
        ["toned_image"] = new(Saturation: 0.6f, Tint: Sepia, TintAmount: 0.3f),
        ["grainy_film"] = new(Contrast: 1.05f, Grain: 10f),
        ["dramatic_light"] = new(Contrast: 1.35f, Brightness: -0.04f),
        ["low_lighting"] = new(Contrast: 1.1f, Brightness: -0.18f),
    };

    /// <summary>The combined grade of the known presets in <paramref name="names"/>, scaled by style strength (1..100, default 50 = as designed).</summary>
    public static Grade Combine(IEnumerable<string> names, int? strength)
    {
        var f = Math.Clamp((strength ?? 50) / 50f, 0.02f, 2f);
        var grade = new Grade();
        foreach (var name in names)
            if (All.TryGetValue(name, out var g)) grade = grade.Then(g.Scaled(f));
        return grade;
    }
}
