using SkiaSharp;

namespace Kiln.Server.Generation;

internal enum TimeOfDay { Day, Sunrise, Sunset, Night }

internal enum GroundKind { None, Field, Sea, Lake, River, Beach, Desert, Snow, Forest }

internal enum SubjectKind { Cat, Dog, Bird, Tree, House, Person, Robot, Car, Flower, Moon, Sun, Boat, Fish, Castle }

/// <summary>One subject to draw, with its colour if the prompt named one ("a red car").</summary>
internal sealed record SubjectSpec(SubjectKind Kind, int Count, SKColor? Colour);

/// <summary>
/// What the prompt asks for, after the negative prompt took its share. The renderer turns it into layers
/// (sky, far, mid, ground, subjects, weather, light); the seed only decides layout and small variations.
/// </summary>
internal sealed record ScenePlan
{
    public TimeOfDay Time { get; init; } = TimeOfDay.Day;
    public bool Space { get; init; }
    public bool Clouds { get; init; }
    public bool Stars { get; init; }
    public bool Rain { get; init; }
    public bool Snowfall { get; init; }
    public bool Fog { get; init; }
    public bool Mountains { get; init; }
    public bool Hills { get; init; }
    public bool City { get; init; }
    public bool ForestBand { get; init; }
    public GroundKind Ground { get; init; } = GroundKind.Field;
    public IReadOnlyList<SubjectSpec> Subjects { get; init; } = [];

    /// <summary>Colours named for a layer ("blue sea"): keys are canonical element names.</summary>
    public IReadOnlyDictionary<string, SKColor> LayerColours { get; init; } = new Dictionary<string, SKColor>();

    /// <summary>Colour words not attached to an element: they tint the whole scene.</summary>
    public IReadOnlyList<SKColor> GlobalTints { get; init; } = [];
    public bool Pastel { get; init; }

    /// <summary>"photo" or "art" when the prompt says so, otherwise null.</summary>
    public string? ContentClassHint { get; init; }

    /// <summary>Hash of the prompt text: unknown prompts still get a composition of their own.</summary>
    public ulong PromptHash { get; init; }

    /// <summary>Canonical names of everything that will be drawn, for tests and logs.</summary>
    public IReadOnlySet<string> Elements
    {
        get
        {
            var set = new SortedSet<string>(StringComparer.Ordinal) { "sky", Time.ToString().ToLowerInvariant() };
            if (Space) set.Add("space");
            if (Clouds) set.Add("clouds");
            if (Stars) set.Add("stars");
            if (Rain) set.Add("rain");
            if (Snowfall) set.Add("snowfall");
            if (Fog) set.Add("fog");
            if (Mountains) set.Add("mountains");
            if (Hills) set.Add("hills");
            if (City) set.Add("city");
            if (ForestBand) set.Add("forest");
            if (Ground != GroundKind.None) set.Add(Ground.ToString().ToLowerInvariant());
            foreach (var s in Subjects) set.Add(s.Kind.ToString().ToLowerInvariant());
            return set;
        }
    }
}
