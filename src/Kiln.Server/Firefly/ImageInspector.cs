using SkiaSharp;

namespace Kiln.Server.Firefly;

/// <summary>Checks input images without decoding them: magic bytes, then the dimensions from the header.</summary>
public static class ImageInspector
{
    /// <summary>The content type the bytes' magic says, or null when they are not JPEG, PNG or WebP.</summary>
    public static string? Sniff(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return "image/jpeg";
        if (b.Length >= 8 && b[..8].SequenceEqual((byte[])[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])) return "image/png";
        if (b.Length >= 12 && b[..4].SequenceEqual("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8)) return "image/webp";
        return null;
    }

    /// <summary>Width and height from the image header (no pixel decoding); null when the header is unreadable.</summary>
    public static (int Width, int Height)? Dimensions(byte[] bytes)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        return codec is null ? null : (codec.Info.Width, codec.Info.Height);
    }

    public static string Extension(string contentType) => contentType switch
    {
        "image/png" => ".png",
        "image/webp" => ".webp",
        _ => ".jpg",
    };

    /// <summary>Refuses non-images and decompression bombs (422s at <paramref name="loc"/>); answers the detected type and size.</summary>
    public static Checked<InspectedImage> Check(byte[] bytes, long maxPixels, object[] loc)
    {
        if (Sniff(bytes) is not { } type) return Refusal.Invalid(loc, NotAnImage);
        if (Dimensions(bytes) is not { } d || d.Width < 1 || d.Height < 1) return Refusal.Invalid(loc, HeaderUnreadable);
        return TooLarge(d.Width, d.Height, maxPixels) is { } refusal ? Refusal.Invalid(loc, refusal) : new InspectedImage(type, d.Width, d.Height);
    }

    public const string NotAnImage = "the image is not a JPEG, PNG or WebP file";
    public const string HeaderUnreadable = "the image header could not be read";

    /// <summary>The decompression-bomb message for a <paramref name="width"/> x <paramref name="height"/> image, or null when it is small enough.</summary>
    public static string? TooLarge(int width, int height, long maxPixels) =>
        (long)width * height > maxPixels || width > 16384 || height > 16384
            ? $"the image is too large ({width}x{height}); at most {maxPixels} pixels and 16384 px a side"
            : null;
}

/// <summary>An input image that passed <see cref="ImageInspector.Check"/>: its type and size.</summary>
public sealed record InspectedImage(string Type, int Width, int Height);
