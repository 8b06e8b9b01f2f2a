using System.Buffers.Binary;

namespace Kiln.Server.Generation;

/// <summary>
/// Reads width and height straight from PNG, JPEG and WebP headers, without a decoder, so that a file claiming
/// absurd dimensions is refused before any decoder allocates for it.
/// </summary>
internal static class ImageHeader
{
    public static bool TryReadSize(ReadOnlySpan<byte> b, out int width, out int height)
    {
        (width, height) = (0, 0);
        if (b.Length >= 24 && b[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) && b.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            width = BinaryPrimitives.ReadInt32BigEndian(b[16..]);
            height = BinaryPrimitives.ReadInt32BigEndian(b[20..]);
            return true;
        }
        if (b.Length >= 4 && b[0] == 0xFF && b[1] == 0xD8) return TryJpeg(b, out width, out height);
        if (b.Length >= 30 && b[..4].SequenceEqual("RIFF"u8) && b.Slice(8, 4).SequenceEqual("WEBP"u8)) return TryWebp(b, out width, out height);
        return false;
    }

    private static bool TryJpeg(ReadOnlySpan<byte> b, out int width, out int height)
    {
        (width, height) = (0, 0);
        var i = 2;
        while (i + 9 < b.Length)
        {
            if (b[i] != 0xFF) { i++; continue; }
            var marker = b[i + 1];
            if (marker is 0xFF or 0x01 || marker is >= 0xD0 and <= 0xD7) { i++; continue; }
            var length = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 2)..]);
            if (marker is >= 0xC0 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
            {
                height = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 5)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(b[(i + 7)..]);
                return true;
            }
            i += 2 + length;
        }
        return false;
    }

    private static bool TryWebp(ReadOnlySpan<byte> b, out int width, out int height)
    {
        (width, height) = (0, 0);
        var chunk = b.Slice(12, 4);
        if (chunk.SequenceEqual("VP8X"u8))
        {
            width = 1 + (b[24] | b[25] << 8 | b[26] << 16);
            height = 1 + (b[27] | b[28] << 8 | b[29] << 16);
            return true;
        }
        if (chunk.SequenceEqual("VP8L"u8) && b.Length >= 25)
        {
            var bits = BinaryPrimitives.ReadUInt32LittleEndian(b[21..]);
            width = 1 + (int)(bits & 0x3FFF);
            height = 1 + (int)((bits >> 14) & 0x3FFF);
            return true;
        }
        if (chunk.SequenceEqual("VP8 "u8))
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(b[26..]) & 0x3FFF;
            height = BinaryPrimitives.ReadUInt16LittleEndian(b[28..]) & 0x3FFF;
            return true;
        }
        return false;
    }
}
