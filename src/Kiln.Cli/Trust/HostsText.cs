using System.Text;

namespace Kiln.Cli.Trust;

/// <summary>One Kiln block found in a hosts file: its span in the text and what it maps.</summary>
public sealed record HostsBlock(int Start, int End, string Sha256, int FirstLine, IReadOnlyList<(string Address, string Name)> Entries);

/// <summary>
/// The hosts-file block of <c>kiln trust</c> as pure text logic (docs/adobe-hosts.md#kiln-trust). The text is the
/// file's bytes read as Latin-1, so every byte round-trips. Adding appends one marked block; removing takes out
/// exactly the bytes added, so the file is byte-for-byte what it was: lines outside the block, line endings and the
/// presence of a final newline are never changed.
/// </summary>
public static class HostsText
{
    public const string BeginPrefix = "# >>> kiln trust sha256:";
    public const string EndPrefix = "# <<< kiln trust sha256:";
    public static readonly Encoding Bytes = Encoding.Latin1;

    /// <summary>The Kiln blocks, or a sentence saying why the file cannot be edited safely (a marker without its pair).</summary>
    public static IReadOnlyList<HostsBlock> Find(string text, out string? error)
    {
        error = null;
        var blocks = new List<HostsBlock>();
        var lines = Lines(text);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = Content(text, lines[i]);
            if (line.StartsWith(EndPrefix, StringComparison.Ordinal))
            {
                error = $"line {i + 1} ends a Kiln block that never began: fix the hosts file by hand first.";
                return [];
            }
            if (!line.StartsWith(BeginPrefix, StringComparison.Ordinal)) continue;
            var sha = Token(line, BeginPrefix);
            var entries = new List<(string, string)>();
            var j = i + 1;
            for (; j < lines.Count; j++)
            {
                var inner = Content(text, lines[j]);
                if (inner.StartsWith(BeginPrefix, StringComparison.Ordinal)) break;
                if (inner.StartsWith(EndPrefix, StringComparison.Ordinal)) break;
                var parts = inner.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && parts[0][0] != '#') entries.Add((parts[0], parts[1]));
            }
            if (j == lines.Count || !Content(text, lines[j]).StartsWith(EndPrefix, StringComparison.Ordinal) || Token(Content(text, lines[j]), EndPrefix) != sha)
            {
                error = $"line {i + 1} begins a Kiln block without its matching end line: fix the hosts file by hand first.";
                return [];
            }
            var start = lines[i].Start;
            var end = lines[j].Next;
            // A block at the very end without a final newline was written after a newline that Kiln added (the file had none).
            if (lines[j].Next == lines[j].ContentEnd && start > 0) start -= start >= 2 && text[start - 2] == '\r' && text[start - 1] == '\n' ? 2 : 1;
            blocks.Add(new HostsBlock(start, end, sha, i + 1, entries));
            i = j;
        }
        return blocks;
    }

    /// <summary>The block's lines for this CA, mapping each name to <paramref name="address"/>.</summary>
    public static IReadOnlyList<string> BlockLines(TrustedCa ca, string address, string source) =>
        [$"{BeginPrefix}{ca.Sha256} >>> added by `kiln trust` ({source}); `kiln trust --undo` removes this block",
         .. ca.HostNames.Select(n => $"{address} {n}"),
         $"{EndPrefix}{ca.Sha256} <<<"];

    /// <summary>The text with the block added at the end, or with this CA's existing block replaced where it is.</summary>
    public static string Put(string text, IReadOnlyList<string> block, HostsBlock? existing)
    {
        var eol = Eol(text);
        if (existing is not null)
        {
            // Keep the bytes around the block exactly; only the lines between the markers change.
            var lines = Lines(text);
            var first = lines.First(l => l.Start >= existing.Start && Content(text, l).StartsWith(BeginPrefix, StringComparison.Ordinal));
            var last = lines.Last(l => l.Next <= existing.End);
            return text[..first.Start] + string.Join(eol, block) + text[last.ContentEnd..];
        }
        if (text.Length == 0) return string.Join(eol, block) + eol;
        if (text.EndsWith('\n')) return text + string.Join(eol, block) + eol;
        return text + eol + string.Join(eol, block); // no final newline before: none after, so removal restores the file exactly
    }

    public static string Remove(string text, HostsBlock block) => text[..block.Start] + text[block.End..];

    /// <summary>The file's line ending: CRLF if its first line ends so, LF otherwise (CRLF for an empty file on Windows).</summary>
    public static string Eol(string text)
    {
        var n = text.IndexOf('\n', StringComparison.Ordinal);
        if (n < 0) return OperatingSystem.IsWindows() ? "\r\n" : "\n";
        return n > 0 && text[n - 1] == '\r' ? "\r\n" : "\n";
    }

    private readonly record struct Line(int Start, int ContentEnd, int Next);

    private static List<Line> Lines(string text)
    {
        var lines = new List<Line>();
        var pos = 0;
        while (pos < text.Length)
        {
            var nl = text.IndexOf('\n', pos);
            if (nl < 0) { lines.Add(new Line(pos, text.Length, text.Length)); break; }
            var contentEnd = nl > pos && text[nl - 1] == '\r' ? nl - 1 : nl;
            lines.Add(new Line(pos, contentEnd, nl + 1));
            pos = nl + 1;
        }
        return lines;
    }

    private static string Content(string text, Line l) => text[l.Start..l.ContentEnd];

    private static string Token(string line, string prefix)
    {
        var rest = line[prefix.Length..];
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? rest : rest[..space];
    }
}
