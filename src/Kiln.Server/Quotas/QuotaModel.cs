namespace Kiln.Server.Quotas;

/// <summary>The three levels a limit can be set on (docs/firefly.md#quotas-and-usage).</summary>
public static class QuotaScopes
{
    public const string Org = "org", Project = "project", Credential = "credential";
    public static readonly string[] All = [Org, Project, Credential];

    /// <summary>The counter-key prefix of a level.</summary>
    public static string Prefix(string scope) => scope switch { Org => "o", Project => "p", _ => "c" };
}

public enum QuotaWindow { Minute, Day, Month }

/// <summary>Limits in images per minute, day and month; null is no limit (or, on a level's own row, "use the default").</summary>
public sealed record QuotaValues(int? PerMinute, int? PerDay, int? PerMonth)
{
    public static readonly QuotaValues None = new(null, null, null);

    public bool IsEmpty => PerMinute is null && PerDay is null && PerMonth is null;

    public int? Of(QuotaWindow w) => w switch { QuotaWindow.Minute => PerMinute, QuotaWindow.Day => PerDay, _ => PerMonth };

    public IEnumerable<(QuotaWindow Window, int? Limit)> Each() =>
        [(QuotaWindow.Minute, PerMinute), (QuotaWindow.Day, PerDay), (QuotaWindow.Month, PerMonth)];

    /// <summary>This level's own values, each falling back to <paramref name="defaults"/>.</summary>
    public QuotaValues Over(QuotaValues defaults) => new(PerMinute ?? defaults.PerMinute, PerDay ?? defaults.PerDay, PerMonth ?? defaults.PerMonth);
}

/// <summary>
/// Who an image request is metered to: its org, project and credential (0 when the caller has none), the operation
/// (<c>generate</c>, <c>expand</c>, ...) and the engine that runs it (<c>procedural</c> or <c>upstream:&lt;name&gt;</c>).
/// </summary>
public sealed record Metered(long OrgId, long ProjectId, long CredentialId, string Operation, string Engine)
{
    /// <summary>The levels whose limits apply: the org always, the project and credential when the caller has them.</summary>
    public IEnumerable<(string Scope, long Id)> Scopes()
    {
        yield return (QuotaScopes.Org, OrgId);
        if (ProjectId != 0) yield return (QuotaScopes.Project, ProjectId);
        if (CredentialId != 0) yield return (QuotaScopes.Credential, CredentialId);
    }
}

/// <summary>Images reserved for one request: the counters it incremented and the usage day it counted in.</summary>
public sealed record Reservation(Metered Who, int Images, DateOnly Day, IReadOnlyList<string> Keys);

/// <summary>
/// Why a reservation was refused: the level and window whose limit is reached, and the seconds until that window
/// ends (the longest wait when several are full). <see cref="NeverFits"/>: the request asks for more images than
/// the limit allows in a whole window.
/// </summary>
public sealed record QuotaRefusal(string Scope, QuotaWindow Window, int Limit, int RetryAfter, bool NeverFits);

/// <summary>A reservation, or the refusal.</summary>
public sealed record QuotaDecision(Reservation? Granted, QuotaRefusal? Refused);

/// <summary>Fixed UTC windows on the <see cref="TimeProvider"/>: the minute, the day and the calendar month.</summary>
public static class QuotaWindows
{
    public static string Title(QuotaWindow w) => w switch { QuotaWindow.Minute => "Minute", QuotaWindow.Day => "Day", _ => "Month" };

    public static string Name(QuotaWindow w) => Title(w).ToLowerInvariant();

    /// <summary>The counter key of a level's window that contains <paramref name="now"/>.</summary>
    public static string Key(string scope, long id, QuotaWindow w, DateTimeOffset now)
    {
        var unix = now.ToUnixTimeSeconds();
        var window = w switch
        {
            QuotaWindow.Minute => "m:" + (unix / 60).ToString(System.Globalization.CultureInfo.InvariantCulture),
            QuotaWindow.Day => "d:" + (unix / 86400).ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "M:" + now.UtcDateTime.ToString("yyyyMM", System.Globalization.CultureInfo.InvariantCulture),
        };
        return $"{QuotaScopes.Prefix(scope)}:{id.ToString(System.Globalization.CultureInfo.InvariantCulture)}:{window}";
    }

    /// <summary>When the window that contains <paramref name="now"/> ends.</summary>
    public static DateTimeOffset End(QuotaWindow w, DateTimeOffset now)
    {
        var u = now.ToUniversalTime();
        return w switch
        {
            QuotaWindow.Minute => new DateTimeOffset(u.Year, u.Month, u.Day, u.Hour, u.Minute, 0, TimeSpan.Zero).AddMinutes(1),
            QuotaWindow.Day => new DateTimeOffset(u.Year, u.Month, u.Day, 0, 0, 0, TimeSpan.Zero).AddDays(1),
            _ => new DateTimeOffset(u.Year, u.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1),
        };
    }

    /// <summary>Whole seconds until the window ends (at least 1): the Retry-After of a refusal.</summary>
    public static int SecondsLeft(QuotaWindow w, DateTimeOffset now) =>
        (int)Math.Max(1, End(w, now).ToUnixTimeSeconds() - now.ToUnixTimeSeconds());
}
