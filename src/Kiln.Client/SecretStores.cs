using System.Text;

namespace Kiln.Client;

/// <summary>Where an application keeps the client secret it uses. <see cref="SecretRotator"/> hands the new secret to one.</summary>
public interface ISecretStore
{
    /// <summary>Stores <paramref name="clientSecret"/> as the secret in use. Must be durable when it returns.</summary>
    /// <param name="clientSecret">The new secret.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    Task SaveAsync(string clientSecret, CancellationToken cancellationToken);

    /// <summary>The stored secret, or null when none is stored.</summary>
    /// <param name="cancellationToken">Cancellation.</param>
    Task<string?> LoadAsync(CancellationToken cancellationToken);
}

/// <summary>A file that holds only the secret, written atomically (temp file + rename) with mode 0600.</summary>
/// <param name="path">The file path.</param>
public sealed class FileSecretStore(string path) : ISecretStore
{
    /// <summary>The file path.</summary>
    public string Path { get; } = path;

    /// <inheritdoc />
    public Task SaveAsync(string clientSecret, CancellationToken cancellationToken) => SecureFiles.WriteAtomicAsync(Path, clientSecret + "\n", cancellationToken);

    /// <inheritdoc />
    public async Task<string?> LoadAsync(CancellationToken cancellationToken) =>
        File.Exists(Path) ? (await File.ReadAllTextAsync(Path, cancellationToken).ConfigureAwait(false)).Trim() is { Length: > 0 } s ? s : null : null;
}

/// <summary>
/// An environment file of <c>KEY=value</c> lines (mode 0600): the secret goes under <paramref name="key"/>
/// (default <c>FIREFLY_SERVICES_CLIENT_SECRET</c>); other lines are kept as they are.
/// </summary>
/// <param name="path">The file path.</param>
/// <param name="key">The variable name.</param>
public sealed class EnvFileSecretStore(string path, string key = "FIREFLY_SERVICES_CLIENT_SECRET") : ISecretStore
{
    /// <summary>The file path.</summary>
    public string Path { get; } = path;

    /// <summary>The variable that holds the secret.</summary>
    public string Key { get; } = key;

    /// <inheritdoc />
    public async Task SaveAsync(string clientSecret, CancellationToken cancellationToken)
    {
        var lines = File.Exists(Path) ? [.. await File.ReadAllLinesAsync(Path, cancellationToken).ConfigureAwait(false)] : new List<string>();
        var line = $"{Key}={clientSecret}";
        var i = lines.FindIndex(l => l.StartsWith(Key + "=", StringComparison.Ordinal));
        if (i >= 0) lines[i] = line; else lines.Add(line);
        var text = new StringBuilder();
        foreach (var l in lines) text.Append(l).Append('\n');
        await SecureFiles.WriteAtomicAsync(Path, text.ToString(), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<string?> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path)) return null;
        foreach (var l in await File.ReadAllLinesAsync(Path, cancellationToken).ConfigureAwait(false))
            if (l.StartsWith(Key + "=", StringComparison.Ordinal)) return l[(Key.Length + 1)..].Trim().Trim('"');
        return null;
    }
}

/// <summary>A store backed by the caller's own functions (a vault, a config service, an in-memory provider).</summary>
/// <param name="save">Stores the secret.</param>
/// <param name="load">Reads the secret back (optional).</param>
public sealed class CallbackSecretStore(Func<string, CancellationToken, Task> save, Func<CancellationToken, Task<string?>>? load = null) : ISecretStore
{
    /// <inheritdoc />
    public Task SaveAsync(string clientSecret, CancellationToken cancellationToken) => save(clientSecret, cancellationToken);

    /// <inheritdoc />
    public Task<string?> LoadAsync(CancellationToken cancellationToken) => load is null ? Task.FromResult<string?>(null) : load(cancellationToken);
}

/// <summary>Owner-only files (0600), written atomically so a reader never sees half a secret.</summary>
internal static class SecureFiles
{
    /// <summary>Writes <paramref name="content"/> to a temp file with mode 0600 in the same directory, then renames it over <paramref name="path"/>.</summary>
    /// <param name="path">The target file.</param>
    /// <param name="content">The text.</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task WriteAtomicAsync(string path, string content, CancellationToken ct)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            var fs = new FileStream(temp, options);
            await using (fs.ConfigureAwait(false))
            {
                await fs.WriteAsync(Encoding.UTF8.GetBytes(content), ct).ConfigureAwait(false);
                await fs.FlushAsync(ct).ConfigureAwait(false);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
