using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>
/// Turns a prompt and a negative prompt into a <see cref="ScenePlan"/>. A colour word right before an element
/// ("blue sea", "a red vintage car") colours that element; other colour words tint the whole scene. Words of
/// the negative prompt remove the elements they name, including ones the engine would have added by itself.
/// A prompt with no scene words gets a composition chosen from a hash of its text.
/// </summary>
internal static class PromptParser
{
    private const int ColourReach = 3;

    public static ScenePlan Parse(string? prompt, string? negativePrompt)
    {
        var banned = Tokenize(negativePrompt).Select(Canonicalize).ToHashSet(StringComparer.Ordinal);
        var tokens = Tokenize(prompt);
        var promptHash = StableHash.Of(string.Join(' ', tokens));

        var scene = new List<string>();
        var subjects = new List<SubjectSpec>();
        var layerColours = new Dictionary<string, SKColor>(StringComparer.Ordinal);
        var loose = new List<SKColor>();
        (SKColor Colour, int At)? pending = null;
        int photo = 0, art = 0;
        var pastel = false;

        for (var i = 0; i < tokens.Count; i++)
        {
            var word = Canonicalize(tokens[i]);
            if (Vocabulary.PhotoWords.Contains(word)) photo++;
            if (Vocabulary.ArtWords.Contains(word)) art++;
            if (word == "pastel") pastel = !banned.Contains("pastel");
            if (Vocabulary.Colours.TryGetValue(word, out var colour))
            {
                if (pending is { } p) loose.Add(p.Colour);
                pending = banned.Contains(word) ? null : (colour, i);
                continue;
            }
            var attached = pending is { } q && i - q.At <= ColourReach ? q.Colour : (SKColor?)null;
            if (SceneElement(word) is { } element && !banned.Contains(element))
            {
                scene.Add(element);
                if (attached is { } c) { layerColours[element] = c; pending = null; }
            }
            else if (Vocabulary.Subjects.TryGetValue(word, out var kind) && !banned.Contains(SubjectName(kind)))
            {
                var count = IsPlural(tokens[i], word) ? 3 : 1;
                var existing = subjects.FindIndex(s => s.Kind == kind);
                var spec = new SubjectSpec(kind, count, attached);
                if (existing >= 0) subjects[existing] = spec with { Count = Math.Max(count, subjects[existing].Count), Colour = attached ?? subjects[existing].Colour };
                else subjects.Add(spec);
                if (attached is not null) pending = null;
            }
        }
        if (pending is { } last) loose.Add(last.Colour);

        return Compose(scene, subjects, banned, promptHash) with
        {
            LayerColours = layerColours,
            GlobalTints = loose,
            Pastel = pastel,
            ContentClassHint = photo > art ? "photo" : art > 0 ? "art" : null,
            PromptHash = promptHash,
        };
    }

    private static ScenePlan Compose(List<string> scene, List<SubjectSpec> subjects, HashSet<string> banned, ulong promptHash)
    {
        var auto = new SeededRandom(promptHash);
        var free = scene.All(e => e == "sky");
        bool Has(string e) => scene.Contains(e);
        bool Allowed(string e) => !banned.Contains(e);

        var space = Has("space");
        var time = scene.LastOrDefault(e => e is "night" or "sunset" or "sunrise" or "day") switch
        {
            "night" => TimeOfDay.Night,
            "sunset" => TimeOfDay.Sunset,
            "sunrise" => TimeOfDay.Sunrise,
            "day" => TimeOfDay.Day,
            _ when space || Has("stars") || subjects.Any(s => s.Kind == SubjectKind.Moon) => TimeOfDay.Night,
            _ when free => Weighted(auto, new (TimeOfDay, int)[] { (TimeOfDay.Day, 55), (TimeOfDay.Sunset, 25), (TimeOfDay.Sunrise, 10), (TimeOfDay.Night, 10) }
                .Where(t => Allowed(t.Item1.ToString().ToLowerInvariant())).ToList(), TimeOfDay.Day),
            _ => TimeOfDay.Day,
        };

        string[] grounds = ["sea", "lake", "river", "beach", "desert", "snow", "field"];
        var groundWord = scene.LastOrDefault(grounds.Contains);
        if (groundWord is null && !space)
            groundWord = Weighted(auto, (Has("city") ? new (string, int)[] { ("sea", 40), ("lake", 30), ("field", 30) } : new (string, int)[] { ("field", 40), ("sea", 20), ("lake", 15), ("desert", 10), ("beach", 10), ("snow", 5) })
                .Where(g => Allowed(g.Item1)).ToList(), "");
        var ground = groundWord switch
        {
            "sea" => GroundKind.Sea, "lake" => GroundKind.Lake, "river" => GroundKind.River, "beach" => GroundKind.Beach,
            "desert" => GroundKind.Desert, "snow" => GroundKind.Snow, "field" => GroundKind.Field, _ => GroundKind.None,
        };

        var far = free && !space
            ? Weighted(auto, new (string, int)[] { ("mountains", 45), ("hills", 30), ("city", 15), ("none", 10) }.Where(f => Allowed(f.Item1)).ToList(), "none")
            : "none";

        if (!subjects.Any(s => s.Kind == SubjectKind.Sun) && time is TimeOfDay.Sunset or TimeOfDay.Sunrise && !space && Allowed("sun"))
            subjects.Insert(0, new SubjectSpec(SubjectKind.Sun, 1, null));
        if (!subjects.Any(s => s.Kind == SubjectKind.Moon) && time == TimeOfDay.Night && Allowed("moon") && auto.Chance(0.6f))
            subjects.Insert(0, new SubjectSpec(SubjectKind.Moon, 1, null));

        return new ScenePlan
        {
            Time = time,
            Space = space,
            Clouds = (Has("clouds") || Has("rain") || (free && time != TimeOfDay.Night && auto.Chance(0.6f))) && Allowed("clouds") && !space,
            Stars = (Has("stars") || time == TimeOfDay.Night) && Allowed("stars"),
            Rain = Has("rain"),
            Snowfall = Has("snow") && Allowed("snowfall"),
            Fog = Has("fog"),
            Mountains = Has("mountains") || far == "mountains",
            Hills = Has("hills") || far == "hills",
            City = Has("city") || far == "city",
            ForestBand = Has("forest"),
            Ground = ground,
            Subjects = subjects,
        };
    }

    private static readonly HashSet<string> Elements = Vocabulary.Scene.Values.ToHashSet(StringComparer.Ordinal);

    private static string? SceneElement(string canonical) =>
        Vocabulary.Scene.TryGetValue(canonical, out var e) ? e : Elements.Contains(canonical) ? canonical : null;

    internal static string SubjectName(SubjectKind kind) => kind.ToString().ToLowerInvariant();

    private static string Canonicalize(string word) =>
        Vocabulary.Canonical(word, w => Vocabulary.Scene.ContainsKey(w) || Vocabulary.Subjects.ContainsKey(w) || Vocabulary.Colours.ContainsKey(w)) is var c
            && Vocabulary.Scene.TryGetValue(c, out var element) ? element
            : Vocabulary.Subjects.TryGetValue(c, out var kind) ? SubjectName(kind) : c;

    private static bool IsPlural(string raw, string canonical) =>
        raw is "people" or "men" or "women" or "children" or "puppies" || (raw != canonical && raw.EndsWith('s') && !Vocabulary.Subjects.ContainsKey(raw));

    private static T Weighted<T>(SeededRandom rng, List<(T Value, int Weight)> options, T fallback)
    {
        var total = options.Sum(o => o.Weight);
        var roll = rng.Next(0, Math.Max(total, 1));
        foreach (var (value, weight) in options)
        {
            if (roll < weight) return value;
            roll -= weight;
        }
        return fallback;
    }

    internal static List<string> Tokenize(string? text)
    {
        var tokens = new List<string>();
        if (string.IsNullOrEmpty(text)) return tokens;
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var letter = i < text.Length && char.IsLetter(text[i]);
            if (letter && start < 0) start = i;
            else if (!letter && start >= 0)
            {
                tokens.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }
        return tokens;
    }
}
