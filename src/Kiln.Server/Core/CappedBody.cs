using System.Buffers;

namespace Kiln.Server.Core;

/// <summary>The one way Kiln reads a body of unknown length: to its end, or not at all once it passes a limit.</summary>
public static class CappedBody
{
    /// <summary>The whole stream, or null as soon as it is longer than <paramref name="max"/> bytes (nothing more is read).</summary>
    public static async Task<byte[]?> ReadAsync(Stream body, long max, CancellationToken ct)
    {
        using var ms = new MemoryStream();
        var buffer = ArrayPool<byte>.Shared.Rent(16384);
        try
        {
            int n;
            while ((n = await body.ReadAsync(buffer, ct)) > 0)
            {
                if (ms.Length + n > max) return null;
                ms.Write(buffer, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return ms.ToArray();
    }
}
