using SkiaSharp;

namespace Kiln.Server.Generation;

internal static partial class SubjectShapes
{
    /// <summary>Default colours when the prompt names none.</summary>
    public static SKColor DefaultColour(SubjectKind kind, SeededRandom rng) => kind switch
    {
        SubjectKind.Cat => rng.Pick<SKColor>([new(226, 136, 56), new(120, 120, 128), new(40, 38, 44), new(236, 226, 210)]),
        SubjectKind.Dog => rng.Pick<SKColor>([new(170, 110, 60), new(220, 180, 120), new(90, 70, 60)]),
        SubjectKind.Bird => new SKColor(40, 40, 50),
        SubjectKind.Tree => rng.Pick<SKColor>([new(46, 130, 60), new(70, 150, 50), new(30, 100, 70)]),
        SubjectKind.House => rng.Pick<SKColor>([new(236, 222, 196), new(200, 90, 70), new(150, 180, 210)]),
        SubjectKind.Person => rng.Pick<SKColor>([new(200, 60, 60), new(60, 110, 200), new(240, 200, 60), new(60, 150, 90)]),
        SubjectKind.Robot => new SKColor(170, 178, 190),
        SubjectKind.Car => rng.Pick<SKColor>([new(200, 40, 40), new(40, 90, 200), new(240, 200, 40), new(230, 230, 235)]),
        SubjectKind.Flower => rng.Pick<SKColor>([new(240, 80, 120), new(250, 210, 50), new(170, 90, 220), new(250, 250, 250)]),
        SubjectKind.Moon => new SKColor(236, 232, 214),
        SubjectKind.Sun => new SKColor(255, 214, 90),
        SubjectKind.Boat => rng.Pick<SKColor>([new(160, 60, 40), new(240, 240, 240), new(40, 60, 110)]),
        SubjectKind.Fish => rng.Pick<SKColor>([new(250, 140, 30), new(80, 160, 230), new(240, 200, 60)]),
        _ => new SKColor(170, 160, 150),
    };

    public static void Draw(SKCanvas c, ShapeStyle st, SubjectKind kind, float cx, float y, float s, SKColor col, SeededRandom rng, bool night)
    {
        switch (kind)
        {
            case SubjectKind.Cat: Cat(c, st, cx, y, s, col); break;
            case SubjectKind.Dog: Dog(c, st, cx, y, s, col); break;
            case SubjectKind.Bird: Bird(c, st, cx, y, s, col); break;
            case SubjectKind.Fish: Fish(c, st, cx, y, s, col); break;
            case SubjectKind.Person: Person(c, st, cx, y, s, col, rng); break;
            case SubjectKind.Robot: Robot(c, st, cx, y, s, col); break;
            case SubjectKind.Tree: Tree(c, st, cx, y, s, col, rng.Chance(0.4f)); break;
            case SubjectKind.Flower: Flower(c, st, cx, y, s, col); break;
            case SubjectKind.House: House(c, st, cx, y, s, col, night); break;
            case SubjectKind.Car: Car(c, st, cx, y, s, col); break;
            case SubjectKind.Boat: Boat(c, st, cx, y, s, col); break;
            case SubjectKind.Castle: Castle(c, st, cx, y, s, col, night); break;
            case SubjectKind.Sun or SubjectKind.Moon: Orb(c, st, kind, cx, y, s, col); break;
        }
    }

    private static void Tree(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col, bool pine)
    {
        st.Rect(c, new SKRect(cx - 0.06f * s, y - 0.45f * s, cx + 0.06f * s, y), new SKColor(110, 72, 40), 0.02f * s);
        if (pine)
        {
            for (var i = 0; i < 3; i++)
            {
                var top = y - (1.0f - i * 0.2f) * s;
                var w = (0.22f + i * 0.08f) * s;
                st.Poly(c, Colours.Shade(col, 1f - i * 0.08f), new(cx, top), new(cx - w, top + 0.42f * s), new(cx + w, top + 0.42f * s));
            }
            return;
        }
        st.Circle(c, cx - 0.18f * s, y - 0.55f * s, 0.22f * s, Colours.Shade(col, 0.85f));
        st.Circle(c, cx + 0.18f * s, y - 0.55f * s, 0.22f * s, Colours.Shade(col, 0.92f));
        st.Circle(c, cx, y - 0.76f * s, 0.26f * s, col);
    }

    private static void Flower(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col)
    {
        var green = new SKColor(60, 140, 60);
        st.Line(c, new(cx, y), new(cx, y - 0.8f * s), 0.05f * s, green);
        st.Oval(c, new SKRect(cx, y - 0.45f * s, cx + 0.24f * s, y - 0.35f * s), green, 0.6f);
        for (var i = 0; i < 6; i++)
        {
            var a = i * MathF.PI / 3f;
            st.Circle(c, cx + MathF.Cos(a) * 0.14f * s, y - 0.86f * s + MathF.Sin(a) * 0.14f * s, 0.1f * s, col, 0.6f);
        }
        st.Circle(c, cx, y - 0.86f * s, 0.08f * s, new SKColor(240, 190, 40), 0.6f);
    }

    private static void House(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col, bool night)
    {
        var window = night ? new SKColor(255, 210, 110) : new SKColor(170, 210, 240);
        st.Rect(c, new SKRect(cx + 0.18f * s, y - 0.98f * s, cx + 0.3f * s, y - 0.7f * s), new SKColor(130, 70, 50));
        st.Rect(c, new SKRect(cx - 0.45f * s, y - 0.6f * s, cx + 0.45f * s, y), col);
        st.Poly(c, new SKColor(150, 56, 44), new(cx - 0.56f * s, y - 0.58f * s), new(cx, y - 1.0f * s), new(cx + 0.56f * s, y - 0.58f * s));
        st.Rect(c, new SKRect(cx - 0.09f * s, y - 0.32f * s, cx + 0.09f * s, y), new SKColor(100, 60, 40), 0.02f * s);
        st.Rect(c, new SKRect(cx - 0.36f * s, y - 0.46f * s, cx - 0.18f * s, y - 0.28f * s), window, 0f, 0.6f);
        st.Rect(c, new SKRect(cx + 0.18f * s, y - 0.46f * s, cx + 0.36f * s, y - 0.28f * s), window, 0f, 0.6f);
    }

    private static void Car(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col)
    {
        var glass = new SKColor(160, 200, 230);
        st.Poly(c, col, new(cx - 0.6f * s, y - 0.55f * s), new(cx - 0.35f * s, y - 0.95f * s), new(cx + 0.45f * s, y - 0.95f * s), new(cx + 0.75f * s, y - 0.55f * s));
        st.Poly(c, glass, new(cx - 0.48f * s, y - 0.58f * s), new(cx - 0.3f * s, y - 0.88f * s), new(cx + 0.05f * s, y - 0.88f * s), new(cx + 0.05f * s, y - 0.58f * s));
        st.Poly(c, glass, new(cx + 0.12f * s, y - 0.58f * s), new(cx + 0.12f * s, y - 0.88f * s), new(cx + 0.42f * s, y - 0.88f * s), new(cx + 0.62f * s, y - 0.58f * s));
        st.Rect(c, new SKRect(cx - 1.1f * s, y - 0.6f * s, cx + 1.1f * s, y - 0.18f * s), col, 0.14f * s);
        st.Oval(c, new SKRect(cx + 0.94f * s, y - 0.5f * s, cx + 1.08f * s, y - 0.4f * s), new SKColor(255, 236, 150), 0.5f);
        foreach (var wx in (ReadOnlySpan<float>)[-0.65f, 0.65f])
        {
            st.Circle(c, cx + wx * s, y - 0.2f * s, 0.21f * s, new SKColor(34, 34, 38));
            st.Circle(c, cx + wx * s, y - 0.2f * s, 0.09f * s, new SKColor(180, 180, 190), 0.5f);
        }
    }

    private static void Boat(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col)
    {
        st.Line(c, new(cx, y - 0.2f * s), new(cx, y - 1.0f * s), 0.035f * s, new SKColor(90, 60, 40));
        st.Poly(c, new SKColor(248, 246, 240), new(cx + 0.04f * s, y - 0.96f * s), new(cx + 0.04f * s, y - 0.28f * s), new(cx + 0.52f * s, y - 0.28f * s));
        st.Poly(c, new SKColor(236, 232, 222), new(cx - 0.04f * s, y - 0.82f * s), new(cx - 0.04f * s, y - 0.28f * s), new(cx - 0.36f * s, y - 0.28f * s));
        st.Poly(c, col, new(cx - 0.62f * s, y - 0.22f * s), new(cx + 0.62f * s, y - 0.22f * s), new(cx + 0.44f * s, y), new(cx - 0.44f * s, y));
    }

    private static void Castle(SKCanvas c, ShapeStyle st, float cx, float y, float s, SKColor col, bool night)
    {
        var roof = new SKColor(70, 80, 150);
        st.Rect(c, new SKRect(cx - 0.18f * s, y - 0.95f * s, cx + 0.18f * s, y - 0.4f * s), Colours.Shade(col, 0.92f));
        st.Poly(c, roof, new(cx - 0.22f * s, y - 0.95f * s), new(cx, y - 1.25f * s), new(cx + 0.22f * s, y - 0.95f * s));
        st.Rect(c, new SKRect(cx - 0.5f * s, y - 0.55f * s, cx + 0.5f * s, y), col);
        for (var i = 0; i < 5; i++)
            st.Rect(c, new SKRect(cx + (-0.36f + i * 0.16f) * s, y - 0.62f * s, cx + (-0.28f + i * 0.16f) * s, y - 0.55f * s), col, 0f, 0.5f);
        foreach (var tx in (ReadOnlySpan<float>)[-0.62f, 0.38f])
        {
            st.Rect(c, new SKRect(cx + tx * s, y - 0.85f * s, cx + (tx + 0.24f) * s, y), Colours.Shade(col, 0.88f));
            st.Poly(c, roof, new(cx + (tx - 0.03f) * s, y - 0.85f * s), new(cx + (tx + 0.12f) * s, y - 1.12f * s), new(cx + (tx + 0.27f) * s, y - 0.85f * s));
            st.Rect(c, new SKRect(cx + (tx + 0.09f) * s, y - 0.7f * s, cx + (tx + 0.15f) * s, y - 0.6f * s), night ? new SKColor(255, 210, 110) : new SKColor(50, 44, 50), 0f, 0.4f);
        }
        using var gate = new SKPath();
        gate.MoveTo(cx - 0.1f * s, y);
        gate.LineTo(cx - 0.1f * s, y - 0.22f * s);
        gate.ArcTo(new SKRect(cx - 0.1f * s, y - 0.32f * s, cx + 0.1f * s, y - 0.12f * s), 180, 180, false);
        gate.LineTo(cx + 0.1f * s, y);
        gate.Close();
        st.Fill(c, gate, new SKColor(60, 44, 36), 0.6f);
    }

    private static void Orb(SKCanvas c, ShapeStyle st, SubjectKind kind, float cx, float cy, float r, SKColor col)
    {
        if (!st.Art)
        {
            using var glow = new SKPaint { IsAntialias = true };
            glow.Shader = SKShader.CreateRadialGradient(new SKPoint(cx, cy), r * (kind == SubjectKind.Sun ? 5f : 3f),
                [Colours.WithAlpha(col, kind == SubjectKind.Sun ? 0.55f : 0.3f), Colours.WithAlpha(col, 0f)], SKShaderTileMode.Clamp);
            c.DrawCircle(cx, cy, r * 5f, glow);
        }
        st.Dot(c, cx, cy, r, kind == SubjectKind.Sun ? Colours.Mix(col, SKColors.White, 0.35f) : col);
        if (st.Art) st.Circle(c, cx, cy, r, col, 0.6f);
        if (kind != SubjectKind.Moon) return;
        var crater = Colours.Shade(col, 0.86f);
        st.Dot(c, cx - 0.3f * r, cy - 0.2f * r, 0.2f * r, crater);
        st.Dot(c, cx + 0.35f * r, cy + 0.25f * r, 0.14f * r, crater);
        st.Dot(c, cx + 0.05f * r, cy + 0.45f * r, 0.09f * r, crater);
    }
}
