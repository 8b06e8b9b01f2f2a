using System.Buffers.Binary;
using System.Text;
using Kiln.Server.Generation;
using static Kiln.Server.Tests.Generation.EngineKit;

namespace Kiln.Server.Tests.Generation;

public class DecodingTests
{
    [Theory]
    [InlineData(100_000, 100_000)]
    [InlineData(9000, 10)]
    [InlineData(7000, 7000)]
    public async Task Oversized_images_are_refused_from_the_header(int w, int h)
    {
        var bomb = PngHeaderOnly(w, h);
        var e = await Assert.ThrowsAsync<InvalidImageInputException>(() =>
            Run(Request("x", op: ImageOperation.GenerateSimilar) with { Source = bomb }));
        Assert.Contains("too large", e.Message);
    }

    [Fact]
    public async Task Garbage_and_missing_inputs_are_refused()
    {
        await Assert.ThrowsAsync<InvalidImageInputException>(() => Run(Request("x", op: ImageOperation.Expand) with { Source = Encoding.UTF8.GetBytes("this is not an image at all") }));
        await Assert.ThrowsAsync<InvalidImageInputException>(() => Run(Request("x", op: ImageOperation.Fill) with { Source = SmoothPicture(64, 64) }));
        await Assert.ThrowsAsync<InvalidImageInputException>(() => Run(Request("x", op: ImageOperation.ObjectComposite)));
        await Assert.ThrowsAsync<InvalidImageInputException>(() => Run(Request("x") with { StyleReference = [1, 2, 3] }));
    }

    [Fact]
    public async Task Webp_and_jpeg_inputs_are_accepted()
    {
        using var bitmap = SkiaSharp.SKBitmap.Decode(SmoothPicture(128, 96));
        foreach (var format in new[] { SkiaSharp.SKEncodedImageFormat.Webp, SkiaSharp.SKEncodedImageFormat.Jpeg })
        {
            using var data = bitmap.Encode(format, 90);
            var image = await Run(Request(null, w: 256, h: 192, op: ImageOperation.Expand) with { Source = data.ToArray() });
            Assert.Equal(256, image.Width);
        }
    }

    /// <summary>A PNG that is only a signature, an IHDR claiming w x h, and IEND: no pixel data at all.</summary>
    private static byte[] PngHeaderOnly(int w, int h)
    {
        var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 6; // RGBA
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        s.Write(word);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }
}
