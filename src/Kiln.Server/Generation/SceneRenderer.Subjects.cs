using SkiaSharp;

namespace Kiln.Server.Generation;

internal sealed partial class SceneRenderer
{
    private readonly record struct Placed(SubjectKind Kind, float X, float Y, float Size, SKColor Colour);

    /// <summary>Places the subjects: the first one named is the hero (large, near the centre); the rest spread out, smaller with distance.</summary>
    private void Subjects(float shore)
    {
        var placed = new List<Placed>();
        var water = _plan.Ground is GroundKind.Sea or GroundKind.Lake or GroundKind.Beach;
        var waterBottom = water ? shore : _horizon;
        var hero = true;
        foreach (var spec in _plan.Subjects.Where(s => s.Kind is not (SubjectKind.Sun or SubjectKind.Moon)))
        {
            var count = spec.Count > 1 ? spec.Kind switch { SubjectKind.Flower => _rng.Next(5, 9), SubjectKind.Bird => _rng.Next(3, 7), _ => _rng.Next(2, 4) } : 1;
            var colour = spec.Colour ?? SubjectShapes.DefaultColour(spec.Kind, _rng);
            for (var i = 0; i < count; i++)
            {
                placed.Add(Place(spec.Kind, hero && i == 0, shore, water, waterBottom, spec.Colour is null && i > 0 ? SubjectShapes.DefaultColour(spec.Kind, _rng) : colour));
            }
            hero = false;
        }
        foreach (var p in placed.OrderBy(p => p.Kind == SubjectKind.Bird ? -1f : p.Y))
        {
            if (LandSubjects.Contains(p.Kind)) _st.GroundShadow(_c, p.X, p.Y, p.Size * ShadowWidth(p.Kind));
            SubjectShapes.Draw(_c, _st, p.Kind, p.X, p.Y, p.Size, p.Colour, _rng, _night);
        }
    }

    private Placed Place(SubjectKind kind, bool hero, float shore, bool water, float waterBottom, SKColor colour)
    {
        var m = Math.Min(_w, _h);
        var x = hero ? _w * _rng.Range(0.35f, 0.65f) : _w * _rng.Range(0.08f, 0.92f);
        switch (kind)
        {
            case SubjectKind.Bird:
                return new(kind, _w * _rng.Range(0.05f, 0.95f), Math.Min(_horizon, _h) * _rng.Range(0.12f, 0.75f), m * _rng.Range(0.02f, 0.045f) * (hero ? 1.6f : 1f), colour);
            case SubjectKind.Boat or SubjectKind.Fish when water:
            {
                var t = _rng.Range(hero ? 0.35f : 0.05f, 0.8f);
                var y = _horizon + (waterBottom - _horizon) * t;
                return new(kind, x, y, m * (0.06f + 0.2f * t) * (hero ? 1.4f : 1f), colour);
            }
            case SubjectKind.Fish:
                return new(kind, x, _h * _rng.Range(0.2f, 0.6f), m * 0.12f, colour);
        }
        var top = Math.Min(shore, _h * 0.97f);
        var depth = hero ? _rng.Range(0.55f, 0.85f) : _rng.Range(0.1f, 0.9f);
        var baseY = top + (_h * 0.97f - top) * depth;
        if (_plan.Ground == GroundKind.None) baseY = _h * _rng.Range(0.7f, 0.95f);
        var perspective = 0.45f + 0.7f * (baseY - _horizon) / Math.Max(1f, _h - _horizon);
        var size = kind switch
        {
            SubjectKind.Car => 0.15f, SubjectKind.Flower => 0.12f, SubjectKind.House => 0.3f, SubjectKind.Castle => 0.34f,
            SubjectKind.Tree => 0.4f, SubjectKind.Boat => 0.16f, _ => 0.34f,
        } * m * (hero ? 1.1f : 0.7f) * Math.Clamp(perspective, 0.4f, 1.3f);
        return new(kind, x, baseY, size, colour);
    }

    private static float ShadowWidth(SubjectKind kind) => kind switch
    {
        SubjectKind.Car => 2.3f, SubjectKind.House or SubjectKind.Castle => 1.3f, SubjectKind.Dog => 1.2f, SubjectKind.Flower => 0.4f, _ => 0.7f,
    };
}
