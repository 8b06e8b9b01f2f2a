using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>The words the built-in engine understands, mapped to canonical element names.</summary>
internal static class Vocabulary
{
    /// <summary>Scene words: word to canonical element.</summary>
    public static readonly IReadOnlyDictionary<string, string> Scene = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["sky"] = "sky", ["skies"] = "sky",
        ["night"] = "night", ["midnight"] = "night", ["dark"] = "night", ["evening"] = "sunset",
        ["sunset"] = "sunset", ["dusk"] = "sunset", ["twilight"] = "sunset",
        ["sunrise"] = "sunrise", ["dawn"] = "sunrise", ["morning"] = "sunrise",
        ["day"] = "day", ["daylight"] = "day", ["noon"] = "day", ["sunny"] = "day",
        ["space"] = "space", ["galaxy"] = "space", ["cosmos"] = "space", ["universe"] = "space", ["planet"] = "space", ["nebula"] = "space",
        ["star"] = "stars", ["starry"] = "stars",
        ["cloud"] = "clouds", ["cloudy"] = "clouds", ["overcast"] = "clouds",
        ["rain"] = "rain", ["rainy"] = "rain", ["storm"] = "rain", ["stormy"] = "rain",
        ["snow"] = "snow", ["snowy"] = "snow", ["winter"] = "snow", ["ice"] = "snow", ["icy"] = "snow", ["arctic"] = "snow",
        ["fog"] = "fog", ["foggy"] = "fog", ["mist"] = "fog", ["misty"] = "fog", ["haze"] = "fog",
        ["mountain"] = "mountains", ["peak"] = "mountains", ["alps"] = "mountains", ["volcano"] = "mountains", ["cliff"] = "mountains",
        ["hill"] = "hills", ["valley"] = "hills", ["countryside"] = "hills",
        ["city"] = "city", ["skyline"] = "city", ["town"] = "city", ["building"] = "city", ["urban"] = "city", ["street"] = "city", ["skyscraper"] = "city", ["downtown"] = "city",
        ["forest"] = "forest", ["wood"] = "forest", ["woods"] = "forest", ["jungle"] = "forest", ["woodland"] = "forest",
        ["sea"] = "sea", ["ocean"] = "sea", ["water"] = "sea", ["wave"] = "sea", ["coast"] = "sea", ["harbor"] = "sea", ["harbour"] = "sea", ["underwater"] = "sea",
        ["lake"] = "lake", ["pond"] = "lake",
        ["river"] = "river", ["stream"] = "river", ["creek"] = "river",
        ["beach"] = "beach", ["shore"] = "beach", ["island"] = "beach", ["tropical"] = "beach",
        ["desert"] = "desert", ["dune"] = "desert", ["sand"] = "desert", ["sahara"] = "desert",
        ["field"] = "field", ["meadow"] = "field", ["grass"] = "field", ["farm"] = "field", ["garden"] = "field", ["park"] = "field", ["prairie"] = "field",
    };

    /// <summary>Subject words.</summary>
    public static readonly IReadOnlyDictionary<string, SubjectKind> Subjects = new Dictionary<string, SubjectKind>(StringComparer.Ordinal)
    {
        ["cat"] = SubjectKind.Cat, ["kitten"] = SubjectKind.Cat, ["kitty"] = SubjectKind.Cat,
        ["dog"] = SubjectKind.Dog, ["puppy"] = SubjectKind.Dog, ["puppies"] = SubjectKind.Dog, ["fox"] = SubjectKind.Dog,
        ["bird"] = SubjectKind.Bird, ["seagull"] = SubjectKind.Bird, ["eagle"] = SubjectKind.Bird, ["crow"] = SubjectKind.Bird,
        ["tree"] = SubjectKind.Tree, ["oak"] = SubjectKind.Tree, ["pine"] = SubjectKind.Tree, ["palm"] = SubjectKind.Tree,
        ["house"] = SubjectKind.House, ["home"] = SubjectKind.House, ["cabin"] = SubjectKind.House, ["cottage"] = SubjectKind.House, ["hut"] = SubjectKind.House,
        ["person"] = SubjectKind.Person, ["people"] = SubjectKind.Person, ["man"] = SubjectKind.Person, ["woman"] = SubjectKind.Person,
        ["men"] = SubjectKind.Person, ["women"] = SubjectKind.Person, ["girl"] = SubjectKind.Person, ["boy"] = SubjectKind.Person,
        ["child"] = SubjectKind.Person, ["children"] = SubjectKind.Person, ["astronaut"] = SubjectKind.Person,
        ["robot"] = SubjectKind.Robot, ["android"] = SubjectKind.Robot, ["cyborg"] = SubjectKind.Robot,
        ["car"] = SubjectKind.Car, ["truck"] = SubjectKind.Car, ["vehicle"] = SubjectKind.Car,
        ["flower"] = SubjectKind.Flower, ["rose"] = SubjectKind.Flower, ["tulip"] = SubjectKind.Flower, ["daisy"] = SubjectKind.Flower, ["sunflower"] = SubjectKind.Flower,
        ["moon"] = SubjectKind.Moon, ["moonlight"] = SubjectKind.Moon, ["moonlit"] = SubjectKind.Moon,
        ["sun"] = SubjectKind.Sun, ["sunshine"] = SubjectKind.Sun,
        ["boat"] = SubjectKind.Boat, ["ship"] = SubjectKind.Boat, ["sailboat"] = SubjectKind.Boat, ["yacht"] = SubjectKind.Boat,
        ["fish"] = SubjectKind.Fish, ["whale"] = SubjectKind.Fish, ["shark"] = SubjectKind.Fish,
        ["castle"] = SubjectKind.Castle, ["palace"] = SubjectKind.Castle, ["tower"] = SubjectKind.Castle, ["fortress"] = SubjectKind.Castle,
    };

    /// <summary>Colour words.</summary>
    public static readonly IReadOnlyDictionary<string, SKColor> Colours = new Dictionary<string, SKColor>(StringComparer.Ordinal)
    {
        ["red"] = new(214, 40, 40), ["crimson"] = new(180, 20, 50), ["scarlet"] = new(230, 36, 20),
        ["blue"] = new(40, 90, 220), ["azure"] = new(40, 140, 240), ["navy"] = new(20, 30, 100),
        ["green"] = new(50, 160, 60), ["emerald"] = new(20, 150, 90),
        ["golden"] = new(240, 180, 40), ["gold"] = new(240, 180, 40), ["yellow"] = new(250, 220, 50),
        ["purple"] = new(130, 50, 190), ["violet"] = new(140, 70, 220), ["lavender"] = new(180, 150, 230),
        ["pink"] = new(240, 120, 180), ["magenta"] = new(220, 40, 170),
        ["orange"] = new(245, 130, 30),
        ["teal"] = new(20, 150, 150), ["cyan"] = new(40, 200, 220), ["turquoise"] = new(50, 210, 190),
        ["black"] = new(20, 20, 24), ["white"] = new(245, 245, 245), ["grey"] = new(128, 128, 128), ["gray"] = new(128, 128, 128),
        ["silver"] = new(190, 195, 205), ["brown"] = new(120, 80, 40),
    };

    public static readonly IReadOnlySet<string> PhotoWords = new HashSet<string>(StringComparer.Ordinal)
    {
        "photo", "photograph", "photography", "photographic", "realistic", "photorealistic", "hyperrealistic", "real", "camera", "dslr", "cinematic", "lens",
    };

    public static readonly IReadOnlySet<string> ArtWords = new HashSet<string>(StringComparer.Ordinal)
    {
        "illustration", "illustrated", "painting", "painted", "cartoon", "drawing", "drawn", "sketch", "anime", "art", "artwork", "vector",
        "watercolor", "watercolour", "poster", "comic", "flat", "clipart", "doodle", "pixel",
    };

    /// <summary>Finds a word, trying simple English plurals ("mountains", "beaches", "puppies") when the word itself is unknown.</summary>
    public static string Canonical(string word, Func<string, bool> known)
    {
        if (known(word)) return word;
        if (word.EndsWith("ies", StringComparison.Ordinal) && known(word[..^3] + "y")) return word[..^3] + "y";
        if (word.EndsWith("es", StringComparison.Ordinal) && known(word[..^2])) return word[..^2];
        if (word.EndsWith('s') && known(word[..^1])) return word[..^1];
        return word;
    }
}
