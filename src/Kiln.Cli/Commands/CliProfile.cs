using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Client;

namespace Kiln.Cli.Commands;

/// <summary>A saved configuration in <c>$XDG_CONFIG_HOME/kiln/&lt;name&gt;.json</c> (default <c>~/.config/kiln</c>), mode 0600.</summary>
public sealed record CliProfile
{
    [JsonPropertyName("base_url")] public string? BaseUrl { get; init; }
    [JsonPropertyName("client_id")] public string? ClientId { get; init; }
    [JsonPropertyName("client_secret")] public string? ClientSecret { get; init; }
    [JsonPropertyName("scopes")] public string? Scopes { get; init; }
    [JsonPropertyName("org_id")] public string? OrgId { get; init; }
    [JsonPropertyName("project_id")] public string? ProjectId { get; init; }
    [JsonPropertyName("workspace_id")] public string? WorkspaceId { get; init; }
    [JsonPropertyName("credential_id")] public string? CredentialId { get; init; }
    /// <summary>A user token from <c>kiln login</c>.</summary>
    [JsonPropertyName("access_token")] public string? AccessToken { get; init; }
    [JsonPropertyName("access_token_expires_at")] public long? AccessTokenExpiresAt { get; init; }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string Directory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config") : xdg;
        return Path.Combine(root, "kiln");
    }

    public static string PathOf(string name)
    {
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || name.StartsWith('.'))
            throw new CliUsageException($"Invalid profile name '{name}' (letters, digits, '-', '_', '.').");
        return Path.Combine(Directory(), name + ".json");
    }

    public static CliProfile? Load(string name)
    {
        var path = PathOf(name);
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<CliProfile>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new CliUsageException($"Profile {path} is not valid JSON: {e.Message}"); }
    }

    public static async Task<string> SaveAsync(string name, CliProfile profile, CancellationToken ct)
    {
        var path = PathOf(name);
        if (!OperatingSystem.IsWindows())
        {
            // CreateDirectory leaves an existing directory's mode alone: tighten one that others can read or enter.
            var dir = System.IO.Directory.CreateDirectory(Directory(), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if ((dir.UnixFileMode & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)) != 0)
                dir.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }
        await SecureFiles.WriteAtomicAsync(path, JsonSerializer.Serialize(profile, Indented) + "\n", ct);
        return path;
    }

    public static void Delete(string name)
    {
        var path = PathOf(name);
        if (File.Exists(path)) File.Delete(path);
    }
}

/// <summary>A usage or configuration error: exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);
