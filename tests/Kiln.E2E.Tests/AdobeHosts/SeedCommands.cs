using System.Text;
using System.Text.RegularExpressions;

namespace Kiln.E2E.Tests.AdobeHosts;

/// <summary>
/// The curl commands of the seed (Adobe's docs that Kiln implements: /work/shared/seed/*.txt, or $KILN_SEED_DIR),
/// extracted verbatim: from <c>curl -X</c> or <c>curl --location</c> to the end of the shell command, as bash reads it
/// (a line ends the command unless it ends with a backslash or inside quotes).
/// </summary>
public static partial class SeedCommands
{
    public static string SeedDir => Environment.GetEnvironmentVariable("KILN_SEED_DIR") is { Length: > 0 } d ? d : "/work/shared/seed";

    public static IReadOnlyList<string> Load()
    {
        Assert.True(Directory.Exists(SeedDir), $"The seed is not at {SeedDir}: set KILN_SEED_DIR to the folder of the seed's *.txt files.");
        var commands = new List<string>();
        foreach (var file in Directory.EnumerateFiles(SeedDir, "*.txt").Order(StringComparer.Ordinal))
            foreach (var c in Extract(File.ReadAllText(file)))
                if (!commands.Contains(c)) commands.Add(c);
        return commands;
    }

    public static IEnumerable<string> Extract(string text)
    {
        foreach (Match m in Start().Matches(text))
        {
            var sb = new StringBuilder();
            char quote = '\0';
            for (var i = m.Index; i < text.Length; i++)
            {
                var c = text[i];
                if (quote == '\0' && c == '\n' && (i == 0 || text[i - 1] != '\\')) break;
                if (quote == '\0' && c is '\'' or '"') quote = c;
                else if (c == quote) quote = '\0';
                sb.Append(c);
            }
            yield return sb.ToString().TrimEnd();
        }
    }

    /// <summary>
    /// The command for bash with each placeholder (<c>{orgId}</c>, <c>{CLIENT ID}</c>, ...) replaced by a shell variable,
    /// spliced into the single-quoted word it sits in; everything else stays as written.
    /// </summary>
    public static string WithVariables(string command, IReadOnlyDictionary<string, string> placeholders)
    {
        foreach (var (placeholder, variable) in placeholders) command = command.Replace(placeholder, $"'\"${variable}\"'", StringComparison.Ordinal);
        return command;
    }

    [GeneratedRegex(@"curl (?=-X |--location )")]
    private static partial Regex Start();
}
