using SkiaSharp;

namespace Kiln.Server.Generation;

internal sealed partial class SceneRenderer
{
    private static readonly HashSet<SubjectKind> LandSubjects =
        [SubjectKind.Cat, SubjectKind.Dog, SubjectKind.Person, SubjectKind.Robot, SubjectKind.Car, SubjectKind.House, SubjectKind.Castle, SubjectKind.Tree, SubjectKind.Flower];

    /// <summary>Paints the ground and returns where dry land starts (the horizon unless there is water in front).</summary>
    private float Ground()
    {
        if (_plan.Ground == GroundKind.None) return _h;
        var needsLand = _plan.Subjects.Any(s => LandSubjects.Contains(s.Kind));
        switch (_plan.Ground)
        {
            case GroundKind.Sea:
                Water(_h);
                return needsLand ? Shore(_h * _rng.Range(0.76f, 0.84f), _pal.GroundNear with { }, curve: 0.02f) : _h;
            case GroundKind.Beach:
                Water(_h);
                return Shore(_h * _rng.Range(0.7f, 0.8f), Colours.Mix(_pal.GroundFar, _pal.GroundNear, 0.5f), curve: 0.05f, foam: true);
            case GroundKind.Lake:
                Water(_h);
                return Shore(_h * _rng.Range(0.78f, 0.86f), _pal.GroundNear, curve: 0.03f);
            case GroundKind.Desert:
                Land();
                Dunes();
                return _horizon;
            default:
                Land();
                if (_plan.Ground == GroundKind.River) River();
                if (_plan.Ground == GroundKind.Field) Tufts();
                return _horizon;
        }
    }

    private void Land()
    {
        using var paint = new SKPaint();
        paint.Shader = SKShader.CreateLinearGradient(new SKPoint(0, _horizon), new SKPoint(0, _h), [_pal.GroundFar, _pal.GroundNear], SKShaderTileMode.Clamp);
        _c.DrawRect(0, _horizon, _w, _h - _horizon, paint);
        if (_st.Art)
        {
            using var edge = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, Color = _pal.Outline, StrokeWidth = Math.Max(1.2f, _st.Unit * 2f) };
            _c.DrawLine(0, _horizon, _w, _horizon, edge);
        }
    }

    private void Water(float bottom)
    {
        using var paint = new SKPaint();
        var surface = Colours.Mix(_pal.Water, _pal.SkyHorizon, 0.45f);
        paint.Shader = SKShader.CreateLinearGradient(new SKPoint(0, _horizon), new SKPoint(0, bottom), [surface, _pal.Water, Colours.Shade(_pal.Water, 0.7f)], SKShaderTileMode.Clamp);
        _c.DrawRect(0, _horizon, _w, bottom - _horizon, paint);
        if (!_st.Art && _plan.Subjects.Any(s => s.Kind is SubjectKind.Sun or SubjectKind.Moon))
        {
            using var glint = new SKPaint { IsAntialias = true, BlendMode = SKBlendMode.Screen };
            var width = _w * 0.06f;
            glint.Shader = SKShader.CreateLinearGradient(new SKPoint(_light.X - width, 0), new SKPoint(_light.X + width, 0),
                [SKColors.Transparent, Colours.WithAlpha(_pal.Light, 0.5f), SKColors.Transparent], SKShaderTileMode.Clamp);
            _c.DrawRect(_light.X - width, _horizon, width * 2f, bottom - _horizon, glint);
        }
        using var wave = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeCap = SKStrokeCap.Round, Color = Colours.WithAlpha(Colours.Mix(_pal.Water, SKColors.White, 0.6f), 0.45f) };
        var n = (int)(_w / 12f);
        for (var i = 0; i < n; i++)
        {
            var t = _rng.NextFloat();
            var y = _horizon + (bottom - _horizon) * t * t;
            var len = _w * (0.01f + 0.05f * t);
            var x = _rng.Range(-len, _w);
            wave.StrokeWidth = Math.Max(1f, _st.Unit * (0.5f + 2.5f * t));
            _c.DrawLine(x, y, x + len, y, wave);
        }
        if (_st.Art)
        {
            using var edge = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, Color = _pal.Outline, StrokeWidth = Math.Max(1.2f, _st.Unit * 2f) };
            _c.DrawLine(0, _horizon, _w, _horizon, edge);
        }
    }

    private float Shore(float y, SKColor colour, float curve, bool foam = false)
    {
        using var path = new SKPath();
        path.MoveTo(0, y + _h * _rng.Range(-curve, curve));
        path.CubicTo(_w * 0.33f, y + _h * _rng.Range(-curve, curve), _w * 0.66f, y + _h * _rng.Range(-curve, curve), _w, y + _h * _rng.Range(-curve, curve));
        path.LineTo(_w, _h);
        path.LineTo(0, _h);
        path.Close();
        if (foam)
        {
            using var f = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, Color = Colours.WithAlpha(SKColors.White, 0.8f), StrokeWidth = _st.Unit * 6f };
            _c.Save();
            _c.Translate(0, -_st.Unit * 3f);
            _c.DrawPath(path, f);
            _c.Restore();
        }
        _st.Fill(_c, path, colour, 0.7f);
        return y + _h * curve;
    }

    private void Dunes()
    {
        for (var i = 0; i < 3; i++)
        {
            var y = _horizon + (_h - _horizon) * (0.15f + i * 0.28f);
            using var path = new SKPath();
            path.MoveTo(0, y + _h * _rng.Range(-0.04f, 0.04f));
            path.CubicTo(_w * 0.3f, y - _h * _rng.Range(0.02f, 0.1f), _w * 0.6f, y + _h * _rng.Range(0f, 0.08f), _w, y - _h * _rng.Range(-0.04f, 0.06f));
            path.LineTo(_w, _h);
            path.LineTo(0, _h);
            path.Close();
            _st.Fill(_c, path, Colours.Shade(Colours.Mix(_pal.GroundFar, _pal.GroundNear, i / 2f), 1.05f - i * 0.06f), 0.6f);
        }
    }

    private void River()
    {
        var x0 = _w * _rng.Range(0.3f, 0.7f);
        var x1 = _w * _rng.Range(0.2f, 0.8f);
        float narrow = _w * 0.01f, wide = _w * 0.22f;
        using var path = new SKPath();
        path.MoveTo(x0 - narrow, _horizon);
        path.CubicTo(x0 - _w * 0.2f, _horizon + (_h - _horizon) * 0.4f, x1 + _w * 0.15f, _h * 0.85f, x1 - wide, _h);
        path.LineTo(x1 + wide, _h);
        path.CubicTo(x1 + _w * 0.25f, _h * 0.85f, x0 - _w * 0.1f, _horizon + (_h - _horizon) * 0.4f, x0 + narrow, _horizon);
        path.Close();
        _st.Fill(_c, path, Colours.Mix(_pal.Water, _pal.SkyHorizon, 0.25f), 0.7f);
    }

    private void Tufts()
    {
        using var paint = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeCap = SKStrokeCap.Round };
        var n = (int)(_w / 8f);
        for (var i = 0; i < n; i++)
        {
            var t = _rng.NextFloat();
            var y = _horizon + (_h - _horizon) * (0.1f + 0.9f * t);
            var x = _rng.Range(0, _w);
            var len = _h * 0.02f * (0.3f + t);
            paint.Color = Colours.Shade(_pal.GroundNear, _rng.Range(0.7f, 1.25f));
            paint.StrokeWidth = Math.Max(1f, _st.Unit * (0.8f + 1.5f * t));
            _c.DrawLine(x, y, x + _rng.Range(-0.4f, 0.4f) * len, y - len, paint);
        }
    }

    private void Rain()
    {
        using var veil = new SKPaint { Color = new SKColor(40, 50, 70, 60) };
        _c.DrawRect(0, 0, _w, _h, veil);
        using var drop = new SKPaint { IsAntialias = true, Color = new SKColor(200, 210, 230, 110), StrokeWidth = Math.Max(1f, _st.Unit), StrokeCap = SKStrokeCap.Round };
        var n = _w * _h / 2500;
        for (var i = 0; i < n; i++)
        {
            float x = _rng.Range(0, _w), y = _rng.Range(0, _h), len = _h * _rng.Range(0.015f, 0.04f);
            _c.DrawLine(x, y, x - len * 0.2f, y + len, drop);
        }
    }

    private void Snowfall()
    {
        var n = _w * _h / 3000;
        for (var i = 0; i < n; i++)
            _st.Dot(_c, _rng.Range(0, _w), _rng.Range(0, _h), _st.Unit * _rng.Range(0.8f, 3f), Colours.WithAlpha(SKColors.White, _rng.Range(0.5f, 0.95f)));
    }
}
