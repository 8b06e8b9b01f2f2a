using SkiaSharp;

namespace Kiln.Server.Generation;

/// <summary>
/// Decodes input images safely: the header is read first and anything over <see cref="MaxSide"/> px per side or
/// <see cref="MaxPixels"/> pixels is refused before a single pixel is decoded (decompression bombs).
/// </summary>
internal static class ImageDecoding
{
    public const int MaxSide = 8192;
    public const long MaxPixels = 40_000_000;

    /// <summary>Decodes to an immutable RGBA image; throws <see cref="InvalidImageInputException"/> for undecodable or oversized input.</summary>
    public static SKImage Decode(byte[]? bytes, string what)
    {
        if (bytes is null || bytes.Length == 0) throw new InvalidImageInputException($"The {what} image is missing or empty.");
        if (ImageHeader.TryReadSize(bytes, out var hw, out var hh)) CheckDimensions(hw, hh, what);
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data) ?? throw new InvalidImageInputException($"The {what} image could not be decoded (JPEG, PNG or WebP expected).");
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        CheckDimensions(w, h, what);
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new InvalidImageInputException($"The {what} image could not be decoded ({result}).");
        bitmap.SetImmutable();
        return SKImage.FromBitmap(bitmap) ?? throw new InvalidImageInputException($"The {what} image could not be decoded.");
    }

    internal static void CheckDimensions(int w, int h, string what)
    {
        if (w <= 0 || h <= 0) throw new InvalidImageInputException($"The {what} image has no pixels.");
        if (w > MaxSide || h > MaxSide || (long)w * h > MaxPixels)
            throw new InvalidImageInputException($"The {what} image is too large ({w}x{h}); the limit is {MaxSide} px per side and {MaxPixels / 1_000_000} megapixels.");
    }

    /// <summary>Draws <paramref name="image"/> into a new raster image of exactly w x h (stretching).</summary>
    public static SKImage Resize(SKImage image, int w, int h)
    {
        using var surface = Surfaces.Create(w, h);
        surface.Canvas.DrawImage(image, new SKRect(0, 0, w, h), Sampling(image.Width > w), null);
        return surface.Snapshot();
    }

    public static SKSamplingOptions Sampling(bool downscale) =>
        downscale ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear) : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None);

    /// <summary>The image's colours on a small grid (unpremultiplied RGBA), for palettes and coarse layout.</summary>
    public static SKColor[,] Grid(SKImage image, int gw, int gh)
    {
        using var small = Surfaces.Create(gw, gh);
        small.Canvas.DrawImage(image, new SKRect(0, 0, gw, gh), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), null);
        using var bitmap = new SKBitmap(new SKImageInfo(gw, gh, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        small.ReadPixels(bitmap.Info, bitmap.GetPixels(), bitmap.RowBytes, 0, 0);
        var grid = new SKColor[gw, gh];
        for (var y = 0; y < gh; y++)
            for (var x = 0; x < gw; x++)
                grid[x, y] = bitmap.GetPixel(x, y);
        return grid;
    }

    /// <summary>
    /// Flat artwork repeats exact colours; photographs almost never do. Counts distinct colours (5 bits per channel)
    /// on a 48x48 grid: under a third distinct reads as art.
    /// </summary>
    public static bool LooksLikeArt(SKImage image)
    {
        var grid = Grid(image, 48, 48);
        var distinct = grid.Cast<SKColor>().Select(c => (c.Red >> 3) << 10 | (c.Green >> 3) << 5 | c.Blue >> 3).Distinct().Count();
        return distinct < 48 * 48 / 3;
    }

    /// <summary>A few representative colours of an image (a coarse grid, sorted by luminance).</summary>
    public static IReadOnlyList<SKColor> Palette(SKImage image)
    {
        var grid = Grid(image, 4, 4);
        return grid.Cast<SKColor>().OrderBy(Colours.Luma).ToList();
    }
}

/// <summary>Raster surfaces in one format, so every stage composes the same way.</summary>
internal static class Surfaces
{
    public static SKSurface Create(int w, int h) =>
        SKSurface.Create(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul)) ?? throw new InvalidOperationException($"Could not allocate a {w}x{h} surface.");
}
