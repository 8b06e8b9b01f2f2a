using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>
/// How shapes are painted: art fills flat and outlines in a dark ink; photo shades each fill with a light-to-dark
/// gradient from the light source and leaves edges soft. One instance per render (it owns its paints).
/// </summary>
internal sealed class ShapeStyle : IDisposable
{
    private readonly SKPaint _fill = new() { IsAntialias = true, Style = SKPaintStyle.Fill };
    private readonly SKPaint _stroke = new() { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeCap = SKStrokeCap.Round, StrokeJoin = SKStrokeJoin.Round };
    private readonly SKPaint _line = new() { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeCap = SKStrokeCap.Round };

    public ShapeStyle(bool art, SKColor outline, float unit, SKPoint light)
    {
        Art = art;
        Unit = unit;
        Light = light;
        _stroke.Color = outline;
    }

    public bool Art { get; }
    /// <summary>One "pixel" of the design at this render size (scale of outline widths).</summary>
    public float Unit { get; }
    /// <summary>Where the light comes from, in canvas coordinates.</summary>
    public SKPoint Light { get; }

    public void Fill(SKCanvas canvas, SKPath path, SKColor colour, float outlineScale = 1f)
    {
        var b = path.Bounds;
        if (Art) _fill.Shader = null;
        else
        {
            var dir = new SKPoint(Light.X - b.MidX, Light.Y - b.MidY);
            var len = MathF.Max(1f, MathF.Sqrt(dir.X * dir.X + dir.Y * dir.Y));
            var r = MathF.Max(b.Width, b.Height) * 0.5f;
            var lit = new SKPoint(b.MidX + dir.X / len * r, b.MidY + dir.Y / len * r);
            var dark = new SKPoint(b.MidX - dir.X / len * r, b.MidY - dir.Y / len * r);
            _fill.Shader?.Dispose();
            _fill.Shader = SKShader.CreateLinearGradient(lit, dark, [Colours.Mix(colour, SKColors.White, 0.22f), Colours.Shade(colour, 0.72f)], SKShaderTileMode.Clamp);
        }
        _fill.Color = colour;
        canvas.DrawPath(path, _fill);
        if (Art && outlineScale > 0)
        {
            _stroke.StrokeWidth = MathF.Max(1.2f, Unit * 2.2f * outlineScale);
            canvas.DrawPath(path, _stroke);
        }
    }

    public void Circle(SKCanvas canvas, float cx, float cy, float r, SKColor colour, float outlineScale = 1f)
    {
        using var path = new SKPath();
        path.AddCircle(cx, cy, r);
        Fill(canvas, path, colour, outlineScale);
    }

    public void Oval(SKCanvas canvas, SKRect rect, SKColor colour, float outlineScale = 1f)
    {
        using var path = new SKPath();
        path.AddOval(rect);
        Fill(canvas, path, colour, outlineScale);
    }

    public void Rect(SKCanvas canvas, SKRect rect, SKColor colour, float radius = 0f, float outlineScale = 1f)
    {
        using var path = new SKPath();
        path.AddRoundRect(rect, radius, radius);
        Fill(canvas, path, colour, outlineScale);
    }

    public void Poly(SKCanvas canvas, SKColor colour, params SKPoint[] points)
    {
        using var path = new SKPath();
        path.AddPoly(points, close: true);
        Fill(canvas, path, colour);
    }

    /// <summary>A stroke (tail, stem, mast): ink-coloured outline first in art mode, then the colour.</summary>
    public void Line(SKCanvas canvas, SKPoint a, SKPoint b, float width, SKColor colour)
    {
        if (Art)
        {
            _line.Color = _stroke.Color;
            _line.StrokeWidth = width + MathF.Max(1.2f, Unit * 2.2f) * 2f;
            canvas.DrawLine(a, b, _line);
        }
        _line.Color = colour;
        _line.StrokeWidth = width;
        canvas.DrawLine(a, b, _line);
    }

    /// <summary>A curved stroke (tail, wing) with the same ink treatment as <see cref="Line"/>.</summary>
    public void Stroke(SKCanvas canvas, SKPath path, float width, SKColor colour)
    {
        if (Art)
        {
            _line.Color = _stroke.Color;
            _line.StrokeWidth = width + MathF.Max(1.2f, Unit * 2.2f) * 2f;
            canvas.DrawPath(path, _line);
        }
        _line.Color = colour;
        _line.StrokeWidth = width;
        canvas.DrawPath(path, _line);
    }

    public void Dot(SKCanvas canvas, float cx, float cy, float r, SKColor colour)
    {
        _fill.Shader = null;
        _fill.Color = colour;
        canvas.DrawCircle(cx, cy, r, _fill);
    }

    /// <summary>A soft contact shadow under a standing subject (photo only).</summary>
    public void GroundShadow(SKCanvas canvas, float cx, float baseY, float width)
    {
        if (Art) return;
        using var paint = new SKPaint { IsAntialias = true, Color = new SKColor(0, 0, 0, 90), MaskFilter = SKMaskFilter.CreateBlur(SKBlurStyle.Normal, width * 0.08f) };
        canvas.DrawOval(new SKRect(cx - width * 0.55f, baseY - width * 0.07f, cx + width * 0.55f, baseY + width * 0.07f), paint);
    }

    public void Dispose()
    {
        _fill.Shader?.Dispose();
        _fill.Dispose();
        _stroke.Dispose();
        _line.Dispose();
    }
}
