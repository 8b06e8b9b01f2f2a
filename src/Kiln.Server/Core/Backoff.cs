namespace Kiln.Server.Core;

/// <summary>The one retry-delay rule of the server's background loops: double the last delay, from 200 ms, up to a cap.</summary>
public static class Backoff
{
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(200);

    public static TimeSpan Next(TimeSpan current, TimeSpan max) =>
        TimeSpan.FromTicks(Math.Min(Math.Max(current.Ticks, First.Ticks) * 2, max.Ticks));
}
