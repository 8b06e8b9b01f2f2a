using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>
/// Bilinear upscaling of an RGBA render onto the full-size output, with optional additive grain, on both cores.
/// Skia's own bilinear image draw runs its float pipeline (about 47 ms for 2048x2048 here); this separable
/// fixed-point version (16 sub-pixel phases, exact for 2x) costs a few milliseconds. Rows are independent, so the
/// result does not depend on how the work is split. The per-pixel kernels are compiled fully optimised on first use
/// (<see cref="MethodImplOptions.AggressiveOptimization"/>): left to tiered compilation they ran as unoptimised tier-0
/// code for hundreds of images on two busy cores, up to 8 times slower
/// (docs/benchmarks.md#warm-measurement-fully-optimised-kernels-pooled-contexts-2026-12-02).
/// </summary>
internal static class Upscaler
{
    private const int Tile = 128;
    private const int Bias = 64;
    private const int GrainRowLanes = Tile * 4;

    public static void Resize(SKImage render, SKBitmap output, sbyte[]? grain)
    {
        using var probe = render.PeekPixels() ?? throw new InvalidOperationException("The render is not a raster image.");
        if (probe.ColorType != SKColorType.Rgba8888 || output.ColorType != SKColorType.Rgba8888) throw new InvalidOperationException("RGBA8888 expected.");
        int sw = probe.Width, sh = probe.Height, w = output.Width, h = output.Height;
        var (x0, x1, fx) = Taps(sw, w);
        var (y0, y1, fy) = Taps(sh, h);
        var grainRows = grain is null ? null : GrainRows(grain);
        var (wa, wb) = Weights(fx);
        const int parts = 4;
        Parallel.For(0, parts, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (part) =>
        {
            using var src = render.PeekPixels();
            var srcBytes = src.GetPixelSpan();
            var dst = output.GetPixelSpan();
            int srcStride = src.RowBytes, dstStride = output.RowBytes;
            var rowA = new ushort[w * 4];
            var rowB = new ushort[w * 4];
            var left = new uint[w];
            var right = new uint[w];
            int cachedA = -1, cachedB = -1;
            for (var y = h * part / parts; y < h * (part + 1) / parts; y++)
            {
                if (cachedA != y0[y])
                {
                    if (cachedB == y0[y]) { (rowA, rowB) = (rowB, rowA); (cachedA, cachedB) = (cachedB, cachedA); }
                    else { Horizontal(srcBytes.Slice(y0[y] * srcStride, sw * 4), rowA, x0, x1, wa, wb, left, right); cachedA = y0[y]; }
                }
                if (cachedB != y1[y]) { Horizontal(srcBytes.Slice(y1[y] * srcStride, sw * 4), rowB, x0, x1, wa, wb, left, right); cachedB = y1[y]; }
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

    /// <summary>The horizontal weights per channel lane: (16 - f, f) for each output pixel's four channels.</summary>
    private static (ushort[] A, ushort[] B) Weights(byte[] fx)
    {
        var a = new ushort[fx.Length * 4];
        var b = new ushort[fx.Length * 4];
        for (var i = 0; i < a.Length; i++) (a[i], b[i]) = ((ushort)(16 - fx[i / 4]), fx[i / 4]);
        return (a, b);
    }

    /// <summary>
    /// One source row resampled to output width in 16-bit lanes (channel c of pixel x at 4x + c; a lane never exceeds
    /// 255 * 16): the two taps of every output pixel are gathered into <paramref name="left"/> and
    /// <paramref name="right"/>, then weighted and summed with <see cref="Vector{T}"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Horizontal(ReadOnlySpan<byte> src, ushort[] row, int[] x0, int[] x1, ushort[] wa, ushort[] wb, uint[] left, uint[] right)
    {
        var pixels = MemoryMarshal.Cast<byte, uint>(src);
        for (var x = 0; x < left.Length; x++)
        {
            left[x] = pixels[x0[x]];
            right[x] = pixels[x1[x]];
        }
        ReadOnlySpan<byte> l = MemoryMarshal.AsBytes(left.AsSpan()), r = MemoryMarshal.AsBytes(right.AsSpan());
        int n = Vector<byte>.Count, half = Vector<ushort>.Count, i = 0;
        for (; i + n <= l.Length; i += n)
        {
            Vector.Widen(new Vector<byte>(l[i..]), out var l1, out var l2);
            Vector.Widen(new Vector<byte>(r[i..]), out var r1, out var r2);
            (l1 * new Vector<ushort>(wa, i) + r1 * new Vector<ushort>(wb, i)).CopyTo(row, i);
            (l2 * new Vector<ushort>(wa, i + half) + r2 * new Vector<ushort>(wb, i + half)).CopyTo(row, i + half);
        }
        for (; i < l.Length; i++) row[i] = (ushort)(l[i] * wa[i] + r[i] * wb[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                // A grain row is one tile wide (GrainRowLanes); 2n divides it, so a pair of vectors never straddles its end.
                var g = i % GrainRowLanes;
                v1 = Vector.Min(Vector.Max(v1 + new Vector<ushort>(grain, g), low), high) - low;
                v2 = Vector.Min(Vector.Max(v2 + new Vector<ushort>(grain, g + n), low), high) - low;
            }
            Vector.Narrow(v1, v2).CopyTo(dst[i..]);
        }
        for (; i < dst.Length; i++)
        {
            var v = (a[i] * (16 - f) + b[i] * f) >> 8;
            if (grain is not null) v = Math.Clamp(v + grain[i % GrainRowLanes] - Bias, 0, 255);
            dst[i] = (byte)v;
        }
    }

    /// <summary>
    /// The grain tile as rows of 16-bit lanes, one tile wide (biased by 64, alpha lanes neutral); output pixel x of a row
    /// takes lane (4x + c) mod <see cref="GrainRowLanes"/>, the same grain as tiling across the whole width.
    /// </summary>
    private static ushort[][] GrainRows(sbyte[] tile)
    {
        var rows = new ushort[Tile][];
        for (var y = 0; y < Tile; y++)
        {
            var row = rows[y] = new ushort[GrainRowLanes];
            for (var x = 0; x < Tile; x++)
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
