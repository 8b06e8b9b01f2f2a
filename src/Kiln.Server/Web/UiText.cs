using System.Globalization;

namespace Kiln.Server.Web;

/// <summary>The one owner of how the console UI writes times and counts, so every page says them the same way.</summary>
public static class UiText
{
    /// <summary>Every time the UI shows: <c>2026-12-01 17:40:05 UTC</c> (no milliseconds, always UTC).</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>An epoch-milliseconds time (the API's secret and audit times) in the same form.</summary>
    public static string TimeOfMs(long ms) => Time(DateTimeOffset.FromUnixTimeMilliseconds(ms));

    /// <summary>"1 project", "2 projects": <paramref name="plural"/> defaults to the noun plus "s".</summary>
    public static string Count(int n, string noun, string? plural = null) =>
        n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? noun : plural ?? noun + "s");
}
