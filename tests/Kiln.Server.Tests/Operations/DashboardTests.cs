using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kiln.Server.Tests.Operations;

/// <summary>deploy/grafana/kiln.json (docs/operations.md#dashboard) queries only metrics that docs/operations.md#metrics documents.</summary>
public sealed partial class DashboardTests
{
    [Fact]
    public void Every_kiln_metric_the_dashboard_queries_is_documented()
    {
        var root = ReleaseBuild.RepoRoot();
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "deploy", "grafana", "kiln.json"))).RootElement;
        var exprs = dashboard.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row")
            .SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!)).ToList();
        Assert.True(exprs.Count >= 15);
        var docs = File.ReadAllText(Path.Combine(root, "docs", "operations.md"));
        var documented = DocumentedName().Matches(docs).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var used = exprs.SelectMany(e => KilnName().Matches(e).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("kiln_ims_tokens_refused_total", used);
        Assert.All(used, name => Assert.True(documented.Contains(name) || documented.Contains(HistogramSuffix().Replace(name, "")),
            $"{name} is on the dashboard but not in docs/operations.md#metrics"));
    }

    [GeneratedRegex(@"kiln_[a-z_]+")]
    private static partial Regex KilnName();

    [GeneratedRegex(@"`(kiln_[a-z_]+)`")]
    private static partial Regex DocumentedName();

    [GeneratedRegex(@"_(bucket|count|sum)$")]
    private static partial Regex HistogramSuffix();
}
