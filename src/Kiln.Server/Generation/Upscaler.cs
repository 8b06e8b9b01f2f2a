using System.Numerics;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>
/// Bilinear upscaling of an RGBA render onto the full-size output, with optional additive grain, on both cores.
/// Skia's own bilinear image draw runs its float pipeline (about 47 ms for 2048x2048 here); this separable
/// fixed-point version (16 sub-pixel phases, exact for 2x) costs a few milliseconds. Rows are independent, so the
/// result does not depend on how the work is split.
/// </summary>
internal static class Upscaler
{
    private const int Tile = 128;
    private const int Bias = 64;

    public static void Resize(SKImage render, SKBitmap output, sbyte[]? grain)
    {
        using var probe = render.PeekPixels() ?? throw new InvalidOperationException("The render is not a raster image.");
        if (probe.ColorType != SKColorType.Rgba8888 || output.ColorType != SKColorType.Rgba8888) throw new InvalidOperationException("RGBA8888 expected.");
        int sw = probe.Width, sh = probe.Height, w = output.Width, h = output.Height;
        var (x0, x1, fx) = Taps(sw, w);
        var (y0, y1, fy) = Taps(sh, h);
        var grainRows = grain is null ? null : GrainRows(grain, w);
        const int parts = 4;
        Parallel.For(0, parts, part =>
        {
            using var src = render.PeekPixels();
            var srcBytes = src.GetPixelSpan();
            var dst = output.GetPixelSpan();
            int srcStride = src.RowBytes, dstStride = output.RowBytes;
            var rowA = new ushort[w * 4];
            var rowB = new ushort[w * 4];
            int cachedA = -1, cachedB = -1;
            for (var y = h * part / parts; y < h * (part + 1) / parts; y++)
            {
                if (cachedA != y0[y])
                {
                    if (cachedB == y0[y]) { (rowA, rowB) = (rowB, rowA); (cachedA, cachedB) = (cachedB, cachedA); }
                    else { Horizontal(srcBytes.Slice(y0[y] * srcStride, sw * 4), rowA, x0, x1, fx); cachedA = y0[y]; }
                }
                if (cachedB != y1[y]) { Horizontal(srcBytes.Slice(y1[y] * srcStride, sw * 4), rowB, x0, x1, fx); cachedB = y1[y]; }
                Vertical(rowA, rowB, fy[y], grainRows?[y % Tile], dst.Slice(y * dstStride, w * 4));
            }
        });
    }

    /// <summary>For each output index: the two source taps and the weight of the second (0..16).</summary>
    private static (int[] A, int[] B, byte[] F) Taps(int sourceSize, int outputSize)
    {
        var a = new int[outputSize];
        var b = new int[outputSize];
        var f = new byte[outputSize];
        var ratio = sourceSize / (double)outputSize;
        for (var i = 0; i < outputSize; i++)
        {
            var s = Math.Clamp((i + 0.5) * ratio - 0.5, 0, sourceSize - 1);
            var lo = (int)Math.Floor(s);
            var weight = (int)Math.Round((s - lo) * 16);
            if (weight == 16) { lo++; weight = 0; }
            a[i] = Math.Min(lo, sourceSize - 1);
            b[i] = Math.Min(lo + 1, sourceSize - 1);
            f[i] = (byte)weight;
        }
        return (a, b, f);
    }

    private static void Horizontal(ReadOnlySpan<byte> src, ushort[] row, int[] x0, int[] x1, byte[] fx)
    {
        // SWAR: one pixel's four channels spread into 16-bit lanes of a ulong; a lane never exceeds 255 * 16.
        var pixels = MemoryMarshal.Cast<byte, uint>(src);
        var lanes = MemoryMarshal.Cast<ushort, ulong>(row.AsSpan());
        for (var x = 0; x < lanes.Length; x++)
        {
            var f = (ulong)fx[x];
            lanes[x] = Spread(pixels[x0[x]]) * (16 - f) + Spread(pixels[x1[x]]) * f;
        }
    }

    private static ulong Spread(uint p) =>
        (p & 0xFFUL) | ((p & 0xFF00UL) << 8) | ((p & 0xFF0000UL) << 16) | ((p & 0xFF000000UL) << 24);

    private static void Vertical(ushort[] a, ushort[] b, byte f, ushort[]? grain, Span<byte> dst)
    {
        var wb = new Vector<ushort>(f);
        var wa = new Vector<ushort>((ushort)(16 - f));
        var low = new Vector<ushort>(Bias);
        var high = new Vector<ushort>(255 + Bias);
        var n = Vector<ushort>.Count;
        var i = 0;
        for (; i + 2 * n <= dst.Length; i += 2 * n)
        {
            var v1 = Vector.ShiftRightLogical(new Vector<ushort>(a, i) * wa + new Vector<ushort>(b, i) * wb, 8);
            var v2 = Vector.ShiftRightLogical(new Vector<ushort>(a, i + n) * wa + new Vector<ushort>(b, i + n) * wb, 8);
            if (grain is not null)
            {
                v1 = Vector.Min(Vector.Max(v1 + new Vector<ushort>(grain, i), low), high) - low;
                v2 = Vector.Min(Vector.Max(v2 + new Vector<ushort>(grain, i + n), low), high) - low;
            }
            Vector.Narrow(v1, v2).CopyTo(dst[i..]);
        }
        for (; i < dst.Length; i++)
        {
            var v = (a[i] * (16 - f) + b[i] * f) >> 8;
            if (grain is not null) v = Math.Clamp(v + grain[i] - Bias, 0, 255);
            dst[i] = (byte)v;
        }
    }

    /// <summary>The grain tile expanded to output rows (biased by 64, alpha lanes neutral).</summary>
    private static ushort[][] GrainRows(sbyte[] tile, int w)
    {
        var rows = new ushort[Tile][];
        for (var y = 0; y < Tile; y++)
        {
            var row = rows[y] = new ushort[w * 4];
            for (var x = 0; x < w; x++)
            {
                var g = (ushort)(tile[y * Tile + x % Tile] + Bias);
                (row[x * 4], row[x * 4 + 1], row[x * 4 + 2], row[x * 4 + 3]) = (g, g, g, Bias);
            }
        }
        return rows;
    }

    /// <summary>A seeded 128x128 tile of grain in -amplitude..amplitude (triangular distribution).</summary>
    public static sbyte[] GrainTile(ulong seed, float amplitude)
    {
        var rng = new SeededRandom(StableHash.Mix(seed, 0x6772_6169_6EUL));
        var tile = new sbyte[Tile * Tile];
        var a = Math.Clamp(amplitude, 0, 60);
        for (var i = 0; i < tile.Length; i++) tile[i] = (sbyte)Math.Round((rng.NextFloat() + rng.NextFloat() - 1f) * a);
        return tile;
    }
}
