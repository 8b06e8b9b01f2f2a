using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>
/// Paints a <see cref="ScenePlan"/> as layers, back to front: sky, stars, sun and moon, clouds, far layer
/// (mountains, hills, city), forest band, ground or water, subjects, weather, light. It draws at whatever size
/// it is given; callers render at a reduced size and upscale, since everything here is smooth or bold.
/// </summary>
internal sealed partial class SceneRenderer
{
    private readonly SKCanvas _c;
    private readonly int _w, _h;
    private readonly ScenePlan _plan;
    private readonly Palette _pal;
    private readonly SeededRandom _rng;
    private readonly ShapeStyle _st;
    private readonly float _horizon;
    private readonly SKPoint _light;
    private readonly bool _night;

    private SceneRenderer(SKCanvas canvas, int w, int h, ScenePlan plan, Palette pal, bool art, SeededRandom rng)
    {
        (_c, _w, _h, _plan, _pal, _rng) = (canvas, w, h, plan, pal, rng);
        _night = plan.Time == TimeOfDay.Night || plan.Space;
        _horizon = plan.Space ? h * 1.05f : h * rng.Range(0.5f, 0.64f);
        var sunX = w * rng.Range(0.15f, 0.85f);
        var sunY = plan.Time is TimeOfDay.Sunset or TimeOfDay.Sunrise ? _horizon - h * rng.Range(0.03f, 0.12f) : h * rng.Range(0.1f, 0.28f);
        _light = new SKPoint(sunX, sunY);
        _st = new ShapeStyle(art, pal.Outline, Math.Min(w, h) / 512f, _light);
    }

    /// <summary>Paints the whole scene onto <paramref name="canvas"/> (w x h).</summary>
    public static void Render(SKCanvas canvas, int w, int h, ScenePlan plan, Palette pal, bool art, SeededRandom rng)
    {
        var r = new SceneRenderer(canvas, w, h, plan, pal, art, rng);
        try { r.Paint(); }
        finally { r._st.Dispose(); }
    }

    private void Paint()
    {
        Sky();
        if (_plan.Stars) Stars();
        if (_plan.Space) Nebula();
        foreach (var orb in _plan.Subjects.Where(s => s.Kind is SubjectKind.Sun or SubjectKind.Moon))
        {
            var r = Math.Min(_w, _h) * (orb.Kind == SubjectKind.Sun ? 0.065f : 0.055f);
            var pos = orb.Kind == SubjectKind.Sun || !_plan.Subjects.Any(s => s.Kind == SubjectKind.Sun) ? _light : new SKPoint(_w - _light.X, _h * 0.18f);
            SubjectShapes.Draw(_c, _st, orb.Kind, pos.X, pos.Y, r, orb.Colour ?? SubjectShapes.DefaultColour(orb.Kind, _rng), _rng, _night);
        }
        if (_plan.Clouds) Clouds();
        if (_plan.Mountains) Mountains();
        if (_plan.Hills) Hills();
        if (_plan.City) City();
        if (_plan.Fog) Haze(0.55f);
        if (_plan.ForestBand) Forest();
        var shore = Ground();
        Subjects(shore);
        if (_plan.Rain) Rain();
        if (_plan.Snowfall) Snowfall();
        if (_plan.Fog) Haze(0.25f);
        if (!_st.Art) Lighting();
    }

    private void Sky()
    {
        using var paint = new SKPaint();
        var bottom = Math.Min(_horizon, _h);
        paint.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, bottom),
            [_pal.SkyTop, _pal.SkyMid, _pal.SkyHorizon], [0f, 0.62f, 1f], SKShaderTileMode.Clamp);
        _c.DrawRect(0, 0, _w, _h, paint);
    }

    private void Stars()
    {
        var n = (int)(_w * _h / 2600f);
        var limit = Math.Min(_horizon, _h) * 0.95f;
        for (var i = 0; i < n; i++)
        {
            var x = _rng.Range(0, _w);
            var y = _rng.Range(0, limit);
            var bright = _rng.NextFloat();
            _st.Dot(_c, x, y, _st.Unit * (0.4f + bright * bright * 1.4f), Colours.WithAlpha(SKColors.White, 0.35f + 0.65f * bright * (1f - y / limit * 0.6f)));
        }
    }

    private void Nebula()
    {
        SKColor[] tints = [new(150, 60, 200), new(40, 160, 200), new(220, 80, 140), new(80, 60, 220)];
        using var paint = new SKPaint { IsAntialias = true, BlendMode = SKBlendMode.Screen };
        for (var i = 0; i < 5; i++)
        {
            var center = new SKPoint(_rng.Range(0, _w), _rng.Range(0, _h));
            var radius = Math.Max(_w, _h) * _rng.Range(0.15f, 0.4f);
            var tint = _plan.GlobalTints.Count > 0 ? _plan.GlobalTints[i % _plan.GlobalTints.Count] : _rng.Pick(tints);
            paint.Shader?.Dispose();
            paint.Shader = SKShader.CreateRadialGradient(center, radius, [Colours.WithAlpha(tint, 0.45f), Colours.WithAlpha(tint, 0f)], SKShaderTileMode.Clamp);
            _c.DrawCircle(center, radius, paint);
        }
        var pr = Math.Min(_w, _h) * _rng.Range(0.12f, 0.22f);
        var pc = new SKPoint(_rng.Range(0.2f, 0.8f) * _w, _rng.Range(0.55f, 0.8f) * _h);
        _st.Circle(_c, pc.X, pc.Y, pr, _rng.Pick<SKColor>([new(200, 120, 80), new(90, 140, 210), new(200, 180, 140)]));
    }

    private void Clouds()
    {
        var clusters = _rng.Next(3, 7);
        using var soft = new SKPaint { IsAntialias = true, Color = _pal.Cloud };
        if (!_st.Art) soft.MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, _st.Unit * 6f);
        for (var i = 0; i < clusters; i++)
        {
            var cx = _rng.Range(-0.1f, 1.1f) * _w;
            var cy = _rng.Range(0.06f, 0.7f) * Math.Min(_horizon, _h);
            var size = _rng.Range(0.05f, 0.11f) * _w;
            var puffs = new List<SKRect>();
            for (var k = 0; k < 5; k++)
            {
                var ox = (k - 2) * size * _rng.Range(0.55f, 0.8f);
                var r = size * _rng.Range(0.5f, 0.95f) * (1f - Math.Abs(k - 2) * 0.18f);
                puffs.Add(new SKRect(cx + ox - r, cy - r * 1.35f, cx + ox + r, cy + r * 0.65f));
            }
            var bar = new SKRect(cx - size * 1.6f, cy - size * 0.35f, cx + size * 1.6f, cy + size * 0.25f);
            if (_st.Art)
            {
                // Ink under every puff first, then all fills on top: one outline around the union, no path boolean ops.
                using var ink = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, Color = _pal.Outline, StrokeWidth = Math.Max(2.4f, _st.Unit * 2.6f) };
                foreach (var p in puffs) _c.DrawOval(p, ink);
                _c.DrawRoundRect(bar, size * 0.25f, size * 0.25f, ink);
                soft.Color = _pal.Cloud;
            }
            foreach (var p in puffs) _c.DrawOval(p, soft);
            _c.DrawRoundRect(bar, size * 0.25f, size * 0.25f, soft);
        }
    }

    private void Haze(float alpha)
    {
        using var paint = new SKPaint();
        var band = _h * 0.25f;
        var veil = Colours.Mix(_pal.SkyHorizon, SKColors.White, 0.4f);
        paint.Shader = SKShader.CreateLinearGradient(new SKPoint(0, _horizon - band), new SKPoint(0, _horizon + band),
            [Colours.WithAlpha(veil, 0f), Colours.WithAlpha(veil, alpha), Colours.WithAlpha(veil, 0f)], SKShaderTileMode.Clamp);
        _c.DrawRect(0, _horizon - band, _w, band * 2f, paint);
    }

    private void Lighting()
    {
        using var glow = new SKPaint { BlendMode = SKBlendMode.Screen };
        glow.Shader = SKShader.CreateRadialGradient(_light, Math.Max(_w, _h) * 0.9f,
            [Colours.WithAlpha(_pal.Light, _night ? 0.12f : 0.35f), Colours.WithAlpha(_pal.Light, 0f)], SKShaderTileMode.Clamp);
        _c.DrawRect(0, 0, _w, _h, glow);
        using var vignette = new SKPaint();
        vignette.Shader = SKShader.CreateRadialGradient(new SKPoint(_w / 2f, _h / 2f), MathF.Sqrt(_w * _w + _h * _h) / 2f,
            [SKColors.Transparent, SKColors.Transparent, new SKColor(0, 0, 0, 115)], [0f, 0.55f, 1f], SKShaderTileMode.Clamp);
        _c.DrawRect(0, 0, _w, _h, vignette);
    }
}
