using SkiaSharp;

namespace Kiln.Server.Generation;

internal sealed partial class SceneRenderer
{
    private void Mountains()
    {
        var distant = Colours.Mix(_pal.Far, _pal.SkyHorizon, 0.45f);
        Range(_horizon + _h * 0.01f, _h * _rng.Range(0.2f, 0.32f), distant, 0.3f);
        Range(_horizon + _h * 0.02f, _h * _rng.Range(0.12f, 0.22f), _pal.Far, 0.7f);
    }

    private void Range(float baseY, float amplitude, SKColor colour, float snowShare)
    {
        var ridge = Ridge(64, 0.58f);
        using var path = new SKPath();
        path.MoveTo(0, baseY);
        var top = float.MaxValue;
        for (var i = 0; i < ridge.Length; i++)
        {
            var y = baseY - amplitude * ridge[i];
            top = Math.Min(top, y);
            path.LineTo(_w * i / (float)(ridge.Length - 1), y);
        }
        path.LineTo(_w, baseY);
        path.Close();
        _st.Fill(_c, path, colour, 0.7f);
        if (_night || snowShare <= 0) return;
        _c.Save();
        _c.ClipPath(path, antialias: true);
        using var snow = new SKPaint { IsAntialias = true, Color = Colours.WithAlpha(Colours.Mix(SKColors.White, _pal.SkyTop, 0.12f), 0.85f) };
        _c.DrawRect(0, top, _w, (baseY - top) * snowShare * 0.6f, snow);
        _c.Restore();
        if (_st.Art) return;
        using var haze = new SKPaint();
        haze.Shader = SKShader.CreateLinearGradient(new SKPoint(0, top), new SKPoint(0, baseY),
            [Colours.WithAlpha(_pal.SkyHorizon, 0f), Colours.WithAlpha(_pal.SkyHorizon, 0.45f)], SKShaderTileMode.Clamp);
        _c.Save();
        _c.ClipPath(path, antialias: true);
        _c.DrawRect(0, top, _w, baseY - top, haze);
        _c.Restore();
    }

    /// <summary>Midpoint displacement: a ridge line with values in 0..1.</summary>
    private float[] Ridge(int segments, float roughness)
    {
        var v = new float[segments + 1];
        v[0] = _rng.Range(0.1f, 0.7f);
        v[segments] = _rng.Range(0.1f, 0.7f);
        var step = segments;
        var scale = 0.9f;
        while (step > 1)
        {
            var half = step / 2;
            for (var i = half; i < segments; i += step)
                v[i] = (v[i - half] + v[i + half]) / 2f + _rng.Range(-scale, scale) / 2f;
            scale *= roughness;
            step = half;
        }
        float min = v.Min(), max = v.Max();
        for (var i = 0; i < v.Length; i++) v[i] = (v[i] - min) / Math.Max(0.001f, max - min);
        return v;
    }

    private void Hills()
    {
        for (var layer = 0; layer < 2; layer++)
        {
            var baseY = _horizon + _h * 0.02f;
            var amp = _h * (layer == 0 ? 0.13f : 0.07f);
            var colour = Colours.Mix(Colours.Mix(_pal.GroundFar, _pal.Forest, 0.35f), _pal.SkyHorizon, layer == 0 ? 0.4f : 0.12f);
            using var path = new SKPath();
            path.MoveTo(0, baseY);
            path.LineTo(0, baseY - amp * _rng.Range(0.2f, 0.8f));
            var humps = _rng.Next(2, 4);
            for (var i = 0; i < humps; i++)
            {
                float x0 = _w * i / (float)humps, x1 = _w * (i + 1) / (float)humps;
                path.QuadTo((x0 + x1) / 2f, baseY - amp * _rng.Range(1.1f, 1.9f), x1, baseY - amp * _rng.Range(0.2f, 0.7f));
            }
            path.LineTo(_w, baseY);
            path.Close();
            _st.Fill(_c, path, colour, 0.6f);
        }
    }

    private void City()
    {
        var x = -_rng.Range(0f, 0.03f) * _w;
        var lit = _night || _plan.Time is TimeOfDay.Sunset;
        using var window = new SKPaint { IsAntialias = false };
        while (x < _w)
        {
            var bw = _w * _rng.Range(0.035f, 0.085f);
            var bh = _h * _rng.Range(0.08f, 0.3f);
            var rect = new SKRect(x, _horizon + _h * 0.02f - bh, x + bw, _horizon + _h * 0.02f);
            _st.Rect(_c, rect, Colours.Shade(_pal.City, _rng.Range(0.75f, 1.15f)), 0f, 0.6f);
            var cell = Math.Max(2f, _st.Unit * 7f);
            for (var wy = rect.Top + cell; wy < rect.Bottom - cell; wy += cell * 1.6f)
            {
                for (var wx = rect.Left + cell * 0.7f; wx < rect.Right - cell; wx += cell * 1.4f)
                {
                    var on = _rng.Chance(lit ? 0.45f : 0.25f);
                    window.Color = on ? Colours.WithAlpha(lit ? _pal.Windows : SKColors.White, lit ? 0.9f : 0.35f) : Colours.WithAlpha(SKColors.Black, 0.18f);
                    _c.DrawRect(wx, wy, cell * 0.7f, cell * 0.9f, window);
                }
            }
            x += bw + _w * _rng.Range(0f, 0.012f);
        }
    }

    private void Forest()
    {
        var baseY = _horizon + _h * 0.03f;
        var x = -_w * 0.02f;
        while (x < _w * 1.02f)
        {
            var th = _h * _rng.Range(0.05f, 0.11f);
            var tw = th * _rng.Range(0.35f, 0.5f);
            var colour = Colours.Shade(_pal.Forest, _rng.Range(0.75f, 1.2f));
            _st.Poly(_c, colour, new(x, baseY - th), new(x - tw, baseY), new(x + tw, baseY));
            x += tw * _rng.Range(0.6f, 1.1f);
        }
    }
}
