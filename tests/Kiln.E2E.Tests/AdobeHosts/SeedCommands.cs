using System.Text;
using System.Text.RegularExpressions;

namespace Kiln.E2E.Tests.AdobeHosts;

/// <summary>
/// The curl commands of the seed (Adobe's docs that Kiln implements: $KILN_SEED_DIR, else shared/seed beside the
/// checkout), extracted verbatim: from <c>curl -X</c> or <c>curl --location</c> to the end of the shell command, as bash
/// reads it (a line ends the command unless it ends with a backslash or inside quotes). Where the seed is not on the
/// machine (a CI clone elsewhere), the committed copy <c>seed-commands.txt</c> is used; <c>SeedCopyTests</c> keeps
/// that copy equal to the seed wherever both are present.
/// </summary>
public static partial class SeedCommands
{
    public static string? SeedDir =>
        Environment.GetEnvironmentVariable("KILN_SEED_DIR") is { Length: > 0 } d ? d
        : new[] { Path.Combine(RepoRoot(), "..", "shared", "seed"), "/work/shared/seed" }.FirstOrDefault(Directory.Exists);

    /// <summary>The committed copy, next to the test assembly.</summary>
    public static string CopyPath => Path.Combine(AppContext.BaseDirectory, "AdobeHosts", "seed-commands.txt");

    public static IReadOnlyList<string> Load() => SeedDir is { } dir ? FromSeed(dir) : FromCopy();

    public static IReadOnlyList<string> FromCopy() =>
        File.ReadAllText(CopyPath).Split("#---\n", StringSplitOptions.None).Skip(1).Select(c => c.TrimEnd()).ToList();

    public static IReadOnlyList<string> FromSeed(string dir)
    {
        Assert.True(Directory.Exists(dir), $"The seed is not at {dir}: set KILN_SEED_DIR to the folder of the seed's *.txt files.");
        var commands = new List<string>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.txt").Order(StringComparer.Ordinal))
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

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Kiln.slnx"))) return d.FullName;
        return AppContext.BaseDirectory;
    }

    [GeneratedRegex(@"curl (?=-X |--location )")]
    private static partial Regex Start();
}
