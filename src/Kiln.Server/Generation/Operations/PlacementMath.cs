using SkiaSharp;

namespace Kiln.Server.Generation.Operations;

/// <summary>
/// Where a source of sw x sh goes on a w x h canvas. Insets bound a box (a missing inset means the canvas edge);
/// the source is scaled down to fit the box (or to fill it when all four insets are given). Within the box, a side
/// with an inset pins the source to that side; otherwise the alignment decides (default centred).
/// </summary>
internal static class PlacementMath
{
    public static SKRect Place(int sw, int sh, int w, int h, Placement? placement)
    {
        var p = placement ?? new Placement();
        float left = Math.Max(0, p.InsetLeft ?? 0), top = Math.Max(0, p.InsetTop ?? 0);
        float right = w - Math.Max(0, p.InsetRight ?? 0), bottom = h - Math.Max(0, p.InsetBottom ?? 0);
        if (right - left < 1) (left, right) = (0, w);
        if (bottom - top < 1) (top, bottom) = (0, h);
        var all = p.InsetLeft is not null && p.InsetTop is not null && p.InsetRight is not null && p.InsetBottom is not null;
        var scale = Math.Min((right - left) / sw, (bottom - top) / sh);
        if (!all) scale = Math.Min(1f, scale);
        float dw = sw * scale, dh = sh * scale;

        var horizontal = (p.InsetLeft, p.InsetRight) switch
        {
            (not null, null) => HorizontalAlignment.Left,
            (null, not null) => HorizontalAlignment.Right,
            _ => p.Horizontal,
        };
        var vertical = (p.InsetTop, p.InsetBottom) switch
        {
            (not null, null) => VerticalAlignment.Top,
            (null, not null) => VerticalAlignment.Bottom,
            _ => p.Vertical,
        };
        var x = horizontal switch { HorizontalAlignment.Left => left, HorizontalAlignment.Right => right - dw, _ => (left + right - dw) / 2f };
        var y = vertical switch { VerticalAlignment.Top => top, VerticalAlignment.Bottom => bottom - dh, _ => (top + bottom - dh) / 2f };
        // Whole pixels keep the placed source sharp (no resampling when it is not scaled).
        x = MathF.Round(x);
        y = MathF.Round(y);
        return new SKRect(x, y, x + MathF.Round(dw), y + MathF.Round(dh));
    }
}
