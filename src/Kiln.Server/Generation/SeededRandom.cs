using System.Text;

namespace Kiln.Server.Generation;

/// <summary>
/// A small deterministic PRNG (SplitMix64). System.Random's algorithm is not a compatibility promise and
/// string.GetHashCode is randomised per process, so the engine uses only this and <see cref="StableHash"/>.
/// Not thread-safe: each render owns its instances.
/// </summary>
internal sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextULong()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public float NextFloat() => (NextULong() >> 40) * (1f / (1UL << 24));

    /// <summary>Uniform in [min, max).</summary>
    public float Range(float min, float max) => min + (max - min) * NextFloat();

    /// <summary>Uniform integer in [min, max).</summary>
    public int Next(int min, int max) => max <= min ? min : min + (int)(NextULong() % (ulong)(max - min));

    public bool Chance(float p) => NextFloat() < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(0, items.Count)];
}

/// <summary>FNV-1a 64 over UTF-8, plus a mixer: stable across processes, machines and .NET versions.</summary>
internal static class StableHash
{
    public static ulong Of(string? text)
    {
        var h = 0xCBF29CE484222325UL;
        foreach (var b in Encoding.UTF8.GetBytes(text ?? ""))
        {
            h ^= b;
            h *= 0x100000001B3UL;
        }
        return h;
    }

    public static ulong Of(ReadOnlySpan<byte> bytes)
    {
        var h = 0xCBF29CE484222325UL;
        foreach (var b in bytes)
        {
            h ^= b;
            h *= 0x100000001B3UL;
        }
        return h;
    }

    public static ulong Mix(ulong a, ulong b)
    {
        var z = a ^ (b + 0x9E3779B97F4A7C15UL + (a << 6) + (a >> 2));
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
