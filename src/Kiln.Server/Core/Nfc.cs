using System.Globalization;
using System.Text;

namespace Kiln.Server.Core;

/// <summary>
/// Unicode normalization form C (UAX #15) for <see cref="TextRules"/>. Kiln runs with invariant globalization, where
/// <c>string.Normalize</c> returns its input unchanged, so the tables come with Kiln (<see cref="NfcData"/>, made by
/// <c>tools/unicode/gen_nfc.py</c>): decompose canonically, order the marks by combining class, compose again.
/// Text must be valid UTF-16 (<see cref="TextRules"/> checks that first).
/// </summary>
public static class Nfc
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7, LCount = 19, VCount = 21, TCount = 28;
    private const int NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Dictionary<int, int[]> Decompositions = Parse(NfcData.Decompositions, p => p.Split(' ').Select(Hex).ToArray());
    private static readonly Dictionary<(int, int), int> Compositions = NfcData.Compositions.Split(';', StringSplitOptions.RemoveEmptyEntries)
        .Select(e => e.Split(':')).ToDictionary(e => (Hex(e[0].Split(' ')[0]), Hex(e[0].Split(' ')[1])), e => Hex(e[1]));
    private static readonly (int First, int Last, int Class)[] Classes = NfcData.CombiningClasses.Split(';', StringSplitOptions.RemoveEmptyEntries)
        .Select(e => e.Split(':')).Select(e => (Hex(e[0].Split('-')[0]), Hex(e[0].Split('-')[1]), int.Parse(e[1], CultureInfo.InvariantCulture))).ToArray();

    /// <summary>The NFC form of <paramref name="text"/>; the same instance when it is already in that form.</summary>
    public static string Normalize(string text)
    {
        // Below U+0300 nothing decomposes or combines: plain ASCII and Latin-1 are always in NFC.
        if (!text.Any(c => c >= '\u0300')) return text;
        var points = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes()) Decompose(rune.Value, points);
        Reorder(points);
        Compose(points);
        var sb = new StringBuilder(text.Length);
        foreach (var p in points) sb.Append(char.ConvertFromUtf32(p));
        var result = sb.ToString();
        return result == text ? text : result;
    }

    private static void Decompose(int c, List<int> into)
    {
        if (c >= SBase && c < SBase + SCount)
        {
            var s = c - SBase;
            into.Add(LBase + s / NCount);
            into.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0) into.Add(TBase + s % TCount);
        }
        else if (Decompositions.TryGetValue(c, out var parts)) into.AddRange(parts);
        else into.Add(c);
    }

    /// <summary>Canonical ordering: a stable sort of each run of marks by combining class.</summary>
    private static void Reorder(List<int> p)
    {
        for (var i = 1; i < p.Count; i++)
        {
            var cc = ClassOf(p[i]);
            if (cc == 0) continue;
            for (var j = i; j > 0 && ClassOf(p[j - 1]) > cc; j--) (p[j - 1], p[j]) = (p[j], p[j - 1]);
        }
    }

    private static void Compose(List<int> p)
    {
        if (p.Count == 0) return;
        var starter = 0;
        var lastClass = ClassOf(p[0]);
        if (lastClass != 0) lastClass = 256; // no starter yet: nothing may compose with it
        var write = 1;
        for (var read = 1; read < p.Count; read++)
        {
            var c = p[read];
            var cc = ClassOf(c);
            if ((lastClass < cc || lastClass == 0) && TryCompose(p[starter], c, out var composite))
            {
                p[starter] = composite;
                continue;
            }
            if (cc == 0) starter = write;
            lastClass = cc;
            p[write++] = c;
        }
        p.RemoveRange(write, p.Count - write);
    }

    private static bool TryCompose(int a, int b, out int composite)
    {
        if (a >= LBase && a < LBase + LCount && b >= VBase && b < VBase + VCount)
        {
            composite = SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
            return true;
        }
        if (a >= SBase && a < SBase + SCount && (a - SBase) % TCount == 0 && b > TBase && b < TBase + TCount)
        {
            composite = a + (b - TBase);
            return true;
        }
        return Compositions.TryGetValue((a, b), out composite);
    }

    private static int ClassOf(int c)
    {
        if (c < 0x300) return 0;
        int lo = 0, hi = Classes.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            if (c < Classes[mid].First) hi = mid - 1;
            else if (c > Classes[mid].Last) lo = mid + 1;
            else return Classes[mid].Class;
        }
        return 0;
    }

    private static Dictionary<int, T> Parse<T>(string table, Func<string, T> value) =>
        table.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split(':')).ToDictionary(e => Hex(e[0]), e => value(e[1]));

    private static int Hex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
