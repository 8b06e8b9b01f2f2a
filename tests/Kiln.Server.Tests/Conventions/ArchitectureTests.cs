using System.Text.RegularExpressions;

namespace Kiln.Server.Tests.Conventions;

/// <summary>
/// The layout tells the architecture (docs/architecture.md): feature folders under src/Kiln.Server depend one way, and
/// comments point at the repository's own docs, whose headings exist.
/// </summary>
public sealed partial class ArchitectureTests
{
    /// <summary>What each folder may use; the order is the layering, left to right.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Data"] = [],
        ["Core"] = ["Data"],
        ["Users"] = ["Core", "Data"],
        ["Ims"] = ["Core", "Data", "Users"],
        ["Storage"] = ["Core", "Data"],
        ["Generation"] = [],
        ["Quotas"] = ["Core", "Data"],
        ["Console"] = ["Core", "Data", "Users", "Ims", "Quotas"],
        ["Firefly"] = ["Core", "Data", "Ims", "Storage", "Generation", "Quotas"],
        ["Upstream"] = ["Core", "Data", "Users", "Ims", "Storage", "Generation", "Quotas", "Console", "Firefly"],
        ["Web"] = ["Core", "Data", "Users", "Ims", "Quotas", "Console", "Upstream"],
        ["Hosting"] = ["Core", "Data", "Users", "Ims", "Storage", "Generation", "Quotas", "Console", "Firefly", "Upstream", "Web"],
    };

    internal static string Root
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "Kiln.slnx"))) return d.FullName;
            throw new InvalidOperationException("Kiln.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    internal static IEnumerable<string> SourceFiles(string dir) =>
        Directory.EnumerateFiles(dir, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".cs", StringComparison.Ordinal) || f.EndsWith(".razor", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Fact]
    public void Feature_folders_depend_one_way()
    {
        var server = Path.Combine(Root, "src", "Kiln.Server");
        var folders = Directory.GetDirectories(server).Select(Path.GetFileName).Where(n => n is not ("bin" or "obj" or "Properties")).ToList();
        Assert.Equal(Allowed.Keys.Order(StringComparer.Ordinal), folders.Order(StringComparer.Ordinal)!);
        var wrong = new List<string>();
        foreach (var folder in folders)
            foreach (var file in SourceFiles(Path.Combine(server, folder!)))
                foreach (Match m in FeatureReference().Matches(File.ReadAllText(file)))
                {
                    var used = m.Groups[1].Value;
                    if (used != folder && Allowed.ContainsKey(used) && !Allowed[folder!].Contains(used))
                        wrong.Add($"{Path.GetRelativePath(Root, file)} uses {used}");
                }
        Assert.True(wrong.Count == 0, "Folders that use a folder they may not (see docs/architecture.md):\n" + string.Join('\n', wrong.Distinct()));
    }

    [Fact]
    public void The_allowed_dependencies_have_no_cycle()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (folder, deps) in Allowed)
        {
            Assert.All(deps, d => Assert.True(seen.Contains(d), $"{folder} may use {d}, which is not to its left"));
            seen.Add(folder);
        }
    }

    [Fact]
    public void Comments_cite_the_repository_docs_and_their_headings_exist()
    {
        var missing = new List<string>();
        foreach (var dir in new[] { "src", "tests", "bench" })
            foreach (var file in SourceFiles(Path.Combine(Root, dir)))
            {
                var text = File.ReadAllText(file);
                foreach (Match m in ContractSection().Matches(text)) missing.Add($"{Path.GetRelativePath(Root, file)}: cites '{m.Value}' of a document outside the repository");
                foreach (Match m in DocLink().Matches(text))
                    if (!Anchors(m.Groups[1].Value).Contains(m.Groups[2].Value)) missing.Add($"{Path.GetRelativePath(Root, file)}: {m.Value} has no such heading");
            }
        Assert.True(missing.Count == 0, string.Join('\n', missing.Distinct()));
    }

    private static readonly Dictionary<string, HashSet<string>> AnchorCache = new(StringComparer.Ordinal);

    /// <summary>The GitHub-style anchors of a doc's headings (lower case, punctuation dropped, spaces to hyphens).</summary>
    private static HashSet<string> Anchors(string doc)
    {
        lock (AnchorCache)
        {
            if (AnchorCache.TryGetValue(doc, out var hit)) return hit;
            var path = Path.Combine(Root, "docs", doc);
            var anchors = File.Exists(path)
                ? File.ReadLines(path).Where(l => l.StartsWith('#'))
                    .Select(l => NotAnchorChar().Replace(l.TrimStart('#').Trim().ToLowerInvariant(), "").Replace(' ', '-')).ToHashSet(StringComparer.Ordinal)
                : [];
            return AnchorCache[doc] = anchors;
        }
    }

    [GeneratedRegex(@"\bKiln\.Server\.([A-Z][A-Za-z]+)\b")]
    private static partial Regex FeatureReference();

    /// <summary>A "§" section that is not an RFC's.</summary>
    [GeneratedRegex(@"(?<!RFC \d{4} )§\d")]
    private static partial Regex ContractSection();

    [GeneratedRegex(@"docs/([a-z-]+\.md)#([a-z0-9-]+)")]
    private static partial Regex DocLink();

    [GeneratedRegex(@"[^a-z0-9 _-]")]
    private static partial Regex NotAnchorChar();
}
