namespace Kiln.Cli.Trust;

/// <summary>One change to the machine: what --dry-run prints, and what a real run does.</summary>
public abstract record TrustStep
{
    /// <summary>The change in full: the file and its content, or the command line.</summary>
    public abstract string Describe();

    /// <summary>Makes the change; a failure is an exception with a sentence.</summary>
    public abstract void Apply();
}

public sealed record WriteFileStep(string Path, string Content) : TrustStep
{
    public override string Describe() => $"write {Path} (mode 0644):\n{Indent(Content)}";

    public override void Apply()
    {
        File.WriteAllText(Path, Content);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
    }

    internal static string Indent(string text) => string.Join('\n', text.TrimEnd('\n').Split('\n').Select(l => "    " + l));
}

public sealed record DeleteFileStep(string Path) : TrustStep
{
    public override string Describe() => $"delete {Path}";
    public override void Apply() => File.Delete(Path);
}

public sealed record RunStep(string File, IReadOnlyList<string> Args) : TrustStep
{
    public override string Describe() => "run " + string.Join(' ', new[] { File }.Concat(Args).Select(Quote));

    public override void Apply()
    {
        var (code, output) = TrustCommandRunner.Run(File, Args);
        if (code != 0) throw new InvalidOperationException($"{Describe()[4..]} exited {code}: {output.Trim()}");
    }

    private static string Quote(string a) => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=@%+,".Contains(c)) ? a : "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>Rewrites the hosts file; <see cref="Change"/> shows the block's lines and whether they are added or removed.</summary>
public sealed record HostsStep(HostsFile Hosts, string NewText, string Change) : TrustStep
{
    public override string Describe() => $"write {Hosts.FilePath} ({Hosts.WriteMethod}; mode, owner and every other line kept): {Change}";
    public override void Apply() => Hosts.Write(NewText);
}

/// <summary>A change made through an API rather than a file or a command (the Windows certificate store).</summary>
public sealed record ApiStep(string Description, Action Action) : TrustStep
{
    public override string Describe() => Description;
    public override void Apply() => Action();
}
