using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>The colours of one scene: chosen by time of day and ground, moved by colour words, jittered by the seed.</summary>
internal sealed record Palette
{
    public SKColor SkyTop { get; init; }
    public SKColor SkyMid { get; init; }
    public SKColor SkyHorizon { get; init; }
    public SKColor Far { get; init; }
    public SKColor City { get; init; }
    public SKColor Windows { get; init; }
    public SKColor Forest { get; init; }
    public SKColor GroundFar { get; init; }
    public SKColor GroundNear { get; init; }
    public SKColor Water { get; init; }
    public SKColor Light { get; init; }
    public SKColor Cloud { get; init; }
    public SKColor Outline { get; init; }
    public required IReadOnlyList<SKColor> Accents { get; init; }

    public static Palette For(ScenePlan plan, SeededRandom rng)
    {
        var p = Base(plan);
        var hue = rng.Range(-14f, 14f);
        p = p.Map(c => Colours.Hue(c, hue));
        p = Tinted(p, plan);
        if (plan.Pastel) p = p.Map(c => Colours.Mix(Colours.Saturate(c, 0.55f), SKColors.White, 0.35f));
        return p;
    }

    /// <summary>Moves every colour part of the way toward the nearest of the given colours (a style reference's palette).</summary>
    public Palette Borrow(IReadOnlyList<SKColor> reference, float amount) => reference.Count == 0 ? this : Map(c =>
    {
        var best = reference.MinBy(r => Colours.Distance(r, c));
        var byLuma = reference.OrderBy(r => Math.Abs(Colours.Luma(r) - Colours.Luma(c))).First();
        return Colours.Mix(c, Colours.Mix(best, byLuma, 0.5f), amount);
    });

    public Palette Map(Func<SKColor, SKColor> f) => this with
    {
        SkyTop = f(SkyTop), SkyMid = f(SkyMid), SkyHorizon = f(SkyHorizon), Far = f(Far), City = f(City), Windows = f(Windows),
        Forest = f(Forest), GroundFar = f(GroundFar), GroundNear = f(GroundNear), Water = f(Water), Light = f(Light), Cloud = f(Cloud),
        Accents = Accents.Select(f).ToList(),
    };

    private static Palette Tinted(Palette p, ScenePlan plan)
    {
        foreach (var (element, c) in plan.LayerColours)
        {
            p = element switch
            {
                "sky" or "sunset" or "sunrise" or "night" or "day" or "clouds" => p with { SkyTop = Colours.Mix(p.SkyTop, c, 0.6f), SkyMid = Colours.Mix(p.SkyMid, c, 0.7f), SkyHorizon = Colours.Mix(p.SkyHorizon, c, 0.5f), Cloud = Colours.Mix(p.Cloud, c, 0.3f) },
                "sea" or "lake" or "river" => p with { Water = Colours.Mix(p.Water, c, 0.75f) },
                "mountains" or "hills" => p with { Far = Colours.Mix(p.Far, c, 0.7f) },
                "city" => p with { City = Colours.Mix(p.City, c, 0.6f), Windows = Colours.Mix(p.Windows, c, 0.5f) },
                "forest" => p with { Forest = Colours.Mix(p.Forest, c, 0.7f) },
                "desert" or "field" or "beach" or "snow" => p with { GroundFar = Colours.Mix(p.GroundFar, c, 0.7f), GroundNear = Colours.Mix(p.GroundNear, c, 0.75f) },
                _ => p,
            };
        }
        // A named colour also leans the whole picture its way a little, so it moves the dominant hue.
        foreach (var c in plan.LayerColours.Values) p = p.Map(x => Colours.Mix(x, c, 0.12f));
        foreach (var c in plan.GlobalTints) p = p.Map(x => Colours.Mix(x, c, 0.35f));
        return p;
    }

    private static Palette Base(ScenePlan plan)
    {
        var sky = plan.Space
            ? (Top: new SKColor(4, 4, 14), Mid: new SKColor(18, 12, 40), Horizon: new SKColor(40, 20, 70))
            : plan.Time switch
            {
                TimeOfDay.Night => (Top: new SKColor(8, 12, 36), Mid: new SKColor(22, 34, 80), Horizon: new SKColor(50, 60, 110)),
                TimeOfDay.Sunset => (Top: new SKColor(52, 42, 110), Mid: new SKColor(214, 92, 84), Horizon: new SKColor(252, 186, 90)),
                TimeOfDay.Sunrise => (Top: new SKColor(96, 132, 200), Mid: new SKColor(244, 160, 160), Horizon: new SKColor(255, 214, 160)),
                _ => (Top: new SKColor(52, 120, 214), Mid: new SKColor(120, 176, 236), Horizon: new SKColor(214, 232, 246)),
            };
        var dark = plan.Time == TimeOfDay.Night || plan.Space;
        var warm = plan.Time is TimeOfDay.Sunset or TimeOfDay.Sunrise;
        var (groundFar, groundNear) = plan.Ground switch
        {
            GroundKind.Desert => (new SKColor(228, 176, 110), new SKColor(204, 136, 72)),
            GroundKind.Beach => (new SKColor(236, 214, 160), new SKColor(222, 192, 136)),
            GroundKind.Snow => (new SKColor(226, 234, 246), new SKColor(246, 250, 255)),
            GroundKind.Sea or GroundKind.Lake => (new SKColor(60, 130, 70), new SKColor(70, 120, 60)),
            GroundKind.None => (new SKColor(70, 60, 90), new SKColor(40, 36, 60)),
            _ => (new SKColor(120, 176, 76), new SKColor(70, 140, 50)),
        };
        if (plan.Ground == GroundKind.Desert && !dark) sky = (sky.Top, Colours.Mix(sky.Mid, groundFar, 0.3f), Colours.Mix(sky.Horizon, groundFar, 0.55f));
        var water = plan.Ground == GroundKind.Lake ? new SKColor(40, 110, 150) : new SKColor(24, 92, 170);
        var p = new Palette
        {
            SkyTop = sky.Top, SkyMid = sky.Mid, SkyHorizon = sky.Horizon,
            Far = new SKColor(96, 110, 146), City = new SKColor(64, 70, 92), Windows = new SKColor(255, 214, 120),
            Forest = new SKColor(34, 96, 52), GroundFar = groundFar, GroundNear = groundNear, Water = water,
            Light = warm ? new SKColor(255, 196, 110) : dark ? new SKColor(220, 226, 255) : new SKColor(255, 246, 214),
            Cloud = warm ? new SKColor(250, 210, 200) : dark ? new SKColor(70, 76, 110) : new SKColor(250, 252, 255),
            Outline = new SKColor(28, 24, 30),
            Accents = [new(230, 120, 40), new(90, 90, 100), new(200, 60, 60), new(240, 220, 200), new(60, 110, 200), new(250, 200, 60)],
        };
        if (dark) p = p.Map(c => Colours.Mix(c, new SKColor(10, 14, 40), 0.55f)) with { SkyTop = sky.Top, SkyMid = sky.Mid, SkyHorizon = sky.Horizon, Windows = p.Windows, Light = p.Light };
        else if (warm) p = p.Map(c => Colours.Mix(c, new SKColor(120, 60, 70), 0.25f)) with { SkyTop = sky.Top, SkyMid = sky.Mid, SkyHorizon = sky.Horizon, Light = p.Light, Cloud = p.Cloud };
        return p;
    }
}

/// <summary>Small colour helpers.</summary>
internal static class Colours
{
    public static SKColor Mix(SKColor a, SKColor b, float t) => new(
        (byte)Math.Clamp(a.Red + (b.Red - a.Red) * t, 0, 255),
        (byte)Math.Clamp(a.Green + (b.Green - a.Green) * t, 0, 255),
        (byte)Math.Clamp(a.Blue + (b.Blue - a.Blue) * t, 0, 255),
        (byte)Math.Clamp(a.Alpha + (b.Alpha - a.Alpha) * t, 0, 255));

    public static SKColor Shade(SKColor c, float f) => new(
        (byte)Math.Clamp(c.Red * f, 0, 255), (byte)Math.Clamp(c.Green * f, 0, 255), (byte)Math.Clamp(c.Blue * f, 0, 255), c.Alpha);

    public static SKColor Hue(SKColor c, float degrees)
    {
        c.ToHsv(out var h, out var s, out var v);
        return SKColor.FromHsv((h + degrees + 360f) % 360f, s, v, c.Alpha);
    }

    public static SKColor Saturate(SKColor c, float factor)
    {
        c.ToHsv(out var h, out var s, out var v);
        return SKColor.FromHsv(h, Math.Clamp(s * factor, 0, 100), v, c.Alpha);
    }

    public static float Luma(SKColor c) => 0.299f * c.Red + 0.587f * c.Green + 0.114f * c.Blue;

    public static float Distance(SKColor a, SKColor b)
    {
        float dr = a.Red - b.Red, dg = a.Green - b.Green, db = a.Blue - b.Blue;
        return dr * dr + dg * dg + db * db;
    }

    public static SKColor WithAlpha(SKColor c, float alpha) => c.WithAlpha((byte)Math.Clamp(alpha * 255f, 0, 255));
}
