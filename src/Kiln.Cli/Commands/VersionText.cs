using System.Reflection;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln --version</c>: the version and the commit, from the InformationalVersion the build stamps (<c>0.1.0+&lt;commit&gt;</c>).</summary>
public static class VersionText
{
    public static string Line
    {
        get
        {
            var info = typeof(VersionText).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
            var plus = info.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? $"kiln {info} (commit unknown)" : $"kiln {info[..plus]} (commit {info[(plus + 1)..]})";
        }
    }
}
