using System.CommandLine;

namespace Kiln.Cli.Commands;

/// <summary>The options every client command shares (recursive, so they work on subcommands too).</summary>
public static class CliOptions
{
    public static readonly Option<string?> ClientId = new("--client-id") { Description = "Client id (API key); default $FIREFLY_SERVICES_CLIENT_ID, then the profile", Recursive = true };
    public static readonly Option<string?> ClientSecret = new("--client-secret") { Description = "Client secret; default $FIREFLY_SERVICES_CLIENT_SECRET, then the profile", Recursive = true };
    public static readonly Option<string?> BaseUrl = new("--base-url") { Description = "Kiln base URL for IMS, Console and Firefly; default $KILN_BASE_URL, the profile, then Adobe's hosts", Recursive = true };
    public static readonly Option<string?> Profile = new("--profile") { Description = "Profile name in ~/.config/kiln (default: $KILN_PROFILE or 'default')", Recursive = true };
    public static readonly Option<bool> Json = new("--json") { Description = "Machine-readable JSON output", Recursive = true };
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Error details", Recursive = true };
    public static readonly Option<string?> Org = new("--org") { Description = "Org id (numeric); default the profile's", Recursive = true };
    public static readonly Option<string?> Credential = new("--credential") { Description = "Credential id; default the profile's", Recursive = true };

    /// <summary>Adds the shared options to a top-level command.</summary>
    public static T WithCommon<T>(this T cmd, bool console = false) where T : Command
    {
        cmd.Options.Add(ClientId);
        cmd.Options.Add(ClientSecret);
        cmd.Options.Add(BaseUrl);
        cmd.Options.Add(Profile);
        cmd.Options.Add(Json);
        cmd.Options.Add(Verbose);
        if (console)
        {
            cmd.Options.Add(Org);
            cmd.Options.Add(Credential);
        }
        return cmd;
    }

    /// <summary>Parses 500ms, 30s, 10m, 1h, 1d or a TimeSpan (hh:mm:ss).</summary>
    public static TimeSpan Duration(string? text, string option, TimeSpan fallback)
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        var t = text.Trim();
        (string suffix, double ms)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)];
        foreach (var (suffix, ms) in units)
            if (t.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && double.TryParse(t[..^suffix.Length], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= 0
                && !(suffix == "s" && t.EndsWith("ms", StringComparison.OrdinalIgnoreCase)))
                return TimeSpan.FromMilliseconds(n * ms);
        if (TimeSpan.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out var ts) && ts >= TimeSpan.Zero) return ts;
        throw new CliUsageException($"{option}: '{text}' is not a duration (examples: 500ms, 30s, 10m, 1h).");
    }
}
