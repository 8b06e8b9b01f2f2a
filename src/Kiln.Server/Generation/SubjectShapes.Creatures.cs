using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>Simple, recognisable vector figures. Each stands on (cx, baseY) and is about s tall.</summary>
internal static partial class SubjectShapes
{
    private static readonly SKColor Ink = new(30, 26, 30);

    private static void Cat(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col)
    {
        using (var tail = new SKPath())
        {
            tail.MoveTo(cx + 0.22f * s, y - 0.08f * s);
            tail.QuadTo(cx + 0.62f * s, y - 0.05f * s, cx + 0.5f * s, y - 0.5f * s);
            st.Stroke(c, tail, 0.08f * s, col);
        }
        st.Oval(c, new SKRect(cx - 0.3f * s, y - 0.62f * s, cx + 0.3f * s, y), col);
        st.Oval(c, new SKRect(cx - 0.16f * s, y - 0.42f * s, cx + 0.16f * s, y - 0.04f * s), Colours.Mix(col, SKColors.White, 0.45f), 0.6f);
        st.Poly(c, col, new(cx - 0.21f * s, y - 0.74f * s), new(cx - 0.17f * s, y - 1.0f * s), new(cx - 0.03f * s, y - 0.86f * s));
        st.Poly(c, col, new(cx + 0.21f * s, y - 0.74f * s), new(cx + 0.17f * s, y - 1.0f * s), new(cx + 0.03f * s, y - 0.86f * s));
        st.Circle(c, cx, y - 0.7f * s, 0.22f * s, col);
        var eye = new SKColor(170, 210, 60);
        foreach (var sx in (ReadOnlySpan<float>)[-1f, 1f])
        {
            st.Oval(c, new SKRect(cx + sx * 0.08f * s - 0.045f * s, y - 0.78f * s, cx + sx * 0.08f * s + 0.045f * s, y - 0.68f * s), eye, 0.4f);
            st.Oval(c, new SKRect(cx + sx * 0.08f * s - 0.014f * s, y - 0.775f * s, cx + sx * 0.08f * s + 0.014f * s, y - 0.685f * s), Ink, 0f);
            st.Line(c, new(cx + sx * 0.1f * s, y - 0.62f * s), new(cx + sx * 0.3f * s, y - 0.6f * s), 0.008f * s, Colours.Mix(col, SKColors.White, 0.7f));
            st.Oval(c, new SKRect(cx + sx * 0.13f * s - 0.07f * s, y - 0.07f * s, cx + sx * 0.13f * s + 0.07f * s, y + 0.01f * s), col, 0.6f);
        }
        st.Poly(c, new SKColor(240, 140, 150), new(cx - 0.03f * s, y - 0.655f * s), new(cx + 0.03f * s, y - 0.655f * s), new(cx, y - 0.62f * s));
    }

    private static void Dog(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col)
    {
        var dark = Colours.Shade(col, 0.6f);
        using (var tail = new SKPath())
        {
            tail.MoveTo(cx - 0.42f * s, y - 0.55f * s);
            tail.QuadTo(cx - 0.6f * s, y - 0.62f * s, cx - 0.62f * s, y - 0.85f * s);
            st.Stroke(c, tail, 0.07f * s, col);
        }
        foreach (var lx in (ReadOnlySpan<float>)[-0.4f, -0.24f, 0.08f, 0.22f])
            st.Rect(c, new SKRect(cx + lx * s, y - 0.4f * s, cx + (lx + 0.1f) * s, y), lx is -0.24f or 0.22f ? col : dark, 0.03f * s);
        st.Rect(c, new SKRect(cx - 0.46f * s, y - 0.66f * s, cx + 0.36f * s, y - 0.3f * s), col, 0.16f * s);
        st.Circle(c, cx + 0.4f * s, y - 0.74f * s, 0.19f * s, col);
        st.Oval(c, new SKRect(cx + 0.48f * s, y - 0.74f * s, cx + 0.7f * s, y - 0.58f * s), Colours.Mix(col, SKColors.White, 0.3f));
        st.Dot(c, cx + 0.68f * s, y - 0.68f * s, 0.035f * s, Ink);
        st.Oval(c, new SKRect(cx + 0.24f * s, y - 0.9f * s, cx + 0.36f * s, y - 0.6f * s), dark);
        st.Dot(c, cx + 0.46f * s, y - 0.8f * s, 0.025f * s, Ink);
    }

    private static void Bird(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col)
    {
        using var wing = new SKPath();
        wing.MoveTo(cx - s, y - 0.1f * s);
        wing.QuadTo(cx - 0.45f * s, y - 0.55f * s, cx, y);
        wing.QuadTo(cx + 0.45f * s, y - 0.55f * s, cx + s, y - 0.1f * s);
        st.Stroke(c, wing, 0.13f * s, col);
    }

    private static void Fish(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col)
    {
        st.Poly(c, Colours.Shade(col, 0.8f), new(cx + 0.24f * s, y), new(cx + 0.56f * s, y - 0.24f * s), new(cx + 0.56f * s, y + 0.24f * s));
        st.Oval(c, new SKRect(cx - 0.5f * s, y - 0.22f * s, cx + 0.32f * s, y + 0.22f * s), col);
        st.Dot(c, cx - 0.3f * s, y - 0.05f * s, 0.04f * s, Ink);
    }

    private static void Person(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col, SeededRandom rng)
    {
        var trousers = rng.Pick<SKColor>([new(40, 50, 80), new(60, 50, 40), new(30, 30, 36)]);
        var skin = rng.Pick<SKColor>([new(240, 200, 170), new(200, 150, 110), new(140, 96, 70), new(90, 60, 45)]);
        var hair = rng.Pick<SKColor>([new(40, 30, 24), new(120, 80, 40), new(220, 190, 120), new(20, 20, 20)]);
        st.Rect(c, new SKRect(cx - 0.11f * s, y - 0.46f * s, cx - 0.015f * s, y), trousers, 0.03f * s);
        st.Rect(c, new SKRect(cx + 0.015f * s, y - 0.46f * s, cx + 0.11f * s, y), trousers, 0.03f * s);
        st.Line(c, new(cx - 0.14f * s, y - 0.74f * s), new(cx - 0.22f * s, y - 0.46f * s), 0.06f * s, col);
        st.Line(c, new(cx + 0.14f * s, y - 0.74f * s), new(cx + 0.22f * s, y - 0.46f * s), 0.06f * s, col);
        st.Rect(c, new SKRect(cx - 0.15f * s, y - 0.8f * s, cx + 0.15f * s, y - 0.4f * s), col, 0.06f * s);
        st.Circle(c, cx, y - 0.89f * s, 0.11f * s, skin);
        using var top = new SKPath();
        top.AddArc(new SKRect(cx - 0.115f * s, y - 1.01f * s, cx + 0.115f * s, y - 0.78f * s), 180, 180);
        top.Close();
        st.Fill(c, top, hair, 0.6f);
    }

    private static void Robot(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col)
    {
        var dark = Colours.Shade(col, 0.65f);
        st.Rect(c, new SKRect(cx - 0.16f * s, y - 0.32f * s, cx - 0.05f * s, y), dark, 0.02f * s);
        st.Rect(c, new SKRect(cx + 0.05f * s, y - 0.32f * s, cx + 0.16f * s, y), dark, 0.02f * s);
        st.Rect(c, new SKRect(cx - 0.33f * s, y - 0.7f * s, cx - 0.24f * s, y - 0.38f * s), dark, 0.03f * s);
        st.Rect(c, new SKRect(cx + 0.24f * s, y - 0.7f * s, cx + 0.33f * s, y - 0.38f * s), dark, 0.03f * s);
        st.Rect(c, new SKRect(cx - 0.23f * s, y - 0.74f * s, cx + 0.23f * s, y - 0.3f * s), col, 0.04f * s);
        st.Rect(c, new SKRect(cx - 0.12f * s, y - 0.62f * s, cx + 0.12f * s, y - 0.44f * s), Colours.Shade(col, 0.45f), 0.02f * s, 0.5f);
        st.Dot(c, cx - 0.06f * s, y - 0.53f * s, 0.025f * s, new SKColor(255, 80, 80));
        st.Dot(c, cx + 0.02f * s, y - 0.53f * s, 0.025f * s, new SKColor(90, 240, 120));
        st.Line(c, new(cx, y - 0.96f * s), new(cx, y - 1.06f * s), 0.02f * s, dark);
        st.Circle(c, cx, y - 1.07f * s, 0.035f * s, new SKColor(255, 70, 60), 0.5f);
        st.Rect(c, new SKRect(cx - 0.17f * s, y - 0.97f * s, cx + 0.17f * s, y - 0.76f * s), col, 0.05f * s);
        st.Circle(c, cx - 0.07f * s, y - 0.87f * s, 0.045f * s, new SKColor(90, 230, 255), 0.5f);
        st.Circle(c, cx + 0.07f * s, y - 0.87f * s, 0.045f * s, new SKColor(90, 230, 255), 0.5f);
    }
}
