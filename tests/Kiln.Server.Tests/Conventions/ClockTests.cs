using System.Text.RegularExpressions;

namespace Kiln.Server.Tests.Conventions;

/// <summary>
/// TimeProvider for every clock (docs/architecture.md#one-owner-for-every-rule): the server reads the time and times
/// durations only through the injected <see cref="TimeProvider"/>, so a test's FakeTimeProvider controls them all.
/// </summary>
public sealed partial class ClockTests
{
    /// <summary>Files that may read the machine's clock, and why.</summary>
    private static readonly Dictionary<string, string> Exceptions = new(StringComparer.Ordinal)
    {
        ["src/Kiln.Server/Hosting/Telemetry/JsonLogFormatter.cs"] = "a log line's own timestamp is the wall clock's, whatever clock the app runs on",
    };

    [Fact]
    public void The_server_has_no_clock_but_TimeProvider()
    {
        var found = new List<string>();
        foreach (var file in ArchitectureTests.SourceFiles(Path.Combine(ArchitectureTests.Root, "src", "Kiln.Server")))
        {
            var name = Path.GetRelativePath(ArchitectureTests.Root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (Exceptions.ContainsKey(name)) continue;
            var n = 0;
            foreach (var line in File.ReadLines(file))
            {
                n++;
                if (OtherClock().Match(LineComment().Replace(line, "")) is { Success: true } m) found.Add($"{name}:{n}: {m.Value}");
            }
        }
        Assert.True(found.Count == 0, "Clocks other than the injected TimeProvider (use clock.GetUtcNow(), clock.GetTimestamp(), clock.GetElapsedTime(start)):\n"
            + string.Join('\n', found));
    }

    [GeneratedRegex(@"\bStopwatch\b|\bDateTime(Offset)?\s*\.\s*(Utc)?Now\b|\bEnvironment\s*\.\s*TickCount(64)?\b")]
    private static partial Regex OtherClock();

    /// <summary>A <c>//</c> comment to the end of the line (not the <c>//</c> of a URL).</summary>
    [GeneratedRegex(@"(?<!:)//.*$")]
    private static partial Regex LineComment();
}
