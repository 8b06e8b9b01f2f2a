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

    /// <summary>Refuses non-images and decompression bombs; returns the detected type and size.</summary>
    public static (string Type, int Width, int Height) Check(byte[] bytes, long maxPixels, object[] loc)
    {
        var type = Sniff(bytes) ?? throw FireflyException.Invalid(loc, "the image is not a JPEG, PNG or WebP file");
        if (Dimensions(bytes) is not { } d || d.Width < 1 || d.Height < 1)
            throw FireflyException.Invalid(loc, "the image header could not be read");
        if ((long)d.Width * d.Height > maxPixels || d.Width > 16384 || d.Height > 16384)
            throw FireflyException.Invalid(loc, $"the image is too large ({d.Width}x{d.Height}); at most {maxPixels} pixels and 16384 px a side");
        return (type, d.Width, d.Height);
    }
}
