using System.Security.Cryptography;
using System.Text;

namespace Kiln.Server.Core;

/// <summary>
/// The key-encryption key (KEK) that wraps every private key Kiln keeps in its database: the token-signing keys, the
/// secret pepper, the URL-signing key and the Data Protection keys (docs/security.md#keys-at-rest). The KEK itself is
/// never in the database: it comes from <c>Kiln:KeyEncryptionKey</c> / <c>KILN_KEY_ENCRYPTION_KEY</c>, from the file
/// named by <c>Kiln:KeyEncryptionKeyFile</c>, or (SQLite only) from <c>kiln.kek</c> in the data directory, created on
/// first start. A source may list several keys: the first wraps, every one unwraps (for rotation).
/// <para>
/// Envelope, version 1: <c>'K' 0x01 | key id (8) | nonce (12) | tag (16) | AES-256-GCM ciphertext</c>; the header and
/// the value's purpose (for example <c>SigningKeys/&lt;kid&gt;</c>) are the associated data, so a wrapped value cannot be
/// moved to another row. Text columns hold <c>kek1:</c> + base64 of the envelope.
/// </para>
/// </summary>
public sealed class KeyEncryption
{
    public const string EnvironmentVariable = "KILN_KEY_ENCRYPTION_KEY";
    public const string DefaultFileName = "kiln.kek";
    public const string TextPrefix = "kek1:";
    private const byte Magic = (byte)'K', Version = 1;
    private const int IdLength = 8, NonceLength = 12, TagLength = 16, HeaderLength = 2 + IdLength;
    private const int Overhead = HeaderLength + NonceLength + TagLength;

    private volatile KeySet? _keys;

    private sealed record KeySet(IReadOnlyList<Kek> All, KekSource Source)
    {
        public Kek Current => All[0];
    }

    private sealed record Kek(byte[] Id, byte[] Key)
    {
        public string IdText => Convert.ToHexStringLower(Id);
    }

    /// <summary>Where the keys came from; <see cref="FilePath"/> is set when Kiln may rewrite that file (rotation).</summary>
    public sealed record KekSource(string Description, string? FilePath);

    private KeySet Keys => _keys ?? throw new InvalidOperationException("KeyEncryption used before Load.");

    public bool IsLoaded => _keys is not null;

    public KekSource Source => Keys.Source;

    /// <summary>The id (hex) of the key that wraps new values.</summary>
    public string CurrentKeyId => Keys.Current.IdText;

    public IReadOnlyList<string> KeyIds => Keys.All.Select(k => k.IdText).ToList();

    /// <summary>A KEK for tests and tools: the first key wraps, all unwrap.</summary>
    public static KeyEncryption FromKeys(params byte[][] keys)
    {
        var k = new KeyEncryption();
        k._keys = new KeySet(keys.Select(ToKek).ToList(), new KekSource("given keys", null));
        return k;
    }

    /// <summary>
    /// Reads the KEK from the configured source, creating the default key file on SQLite. Throws
    /// <see cref="KeyEncryptionException"/> with a message for the operator when no usable KEK is configured.
    /// Call after <see cref="DataDirectory.Prepare"/>.
    /// </summary>
    public void Load(KilnOptions o)
    {
        if (ConfigurationProblem(o) is { } problem) throw new KeyEncryptionException(problem);
        if (Configured(o) is { } text)
        {
            _keys = new KeySet(Parse(text, "Kiln:KeyEncryptionKey / " + EnvironmentVariable), new KekSource("setting", null));
            return;
        }
        var file = o.KeyEncryptionKeyFile is { Length: > 0 } f ? Path.GetFullPath(f) : Path.Combine(o.FullDataDir, DefaultFileName);
        if (o.KeyEncryptionKeyFile is not { Length: > 0 } && !File.Exists(file))
            CreateKeyFile(file);
        if (!File.Exists(file))
            throw new KeyEncryptionException($"The key-encryption key file {file} (Kiln:KeyEncryptionKeyFile) does not exist. Create it with: (umask 077; openssl rand -base64 32 > {file})");
        _keys = new KeySet(Parse(File.ReadAllText(file), file), new KekSource("file " + file, file));
    }

    /// <summary>What is wrong with the KEK settings, or null. PostgreSQL has no default: a dump alone must not yield keys.</summary>
    public static string? ConfigurationProblem(KilnOptions o)
    {
        if (Configured(o) is { } text)
        {
            try { Parse(text, "Kiln:KeyEncryptionKey / " + EnvironmentVariable); }
            catch (KeyEncryptionException e) { return e.Message; }
            return null;
        }
        if (o.KeyEncryptionKeyFile is { Length: > 0 } || !o.UsesPostgres) return null;
        return "Kiln on PostgreSQL needs a key-encryption key, the same on every node: set Kiln:KeyEncryptionKey (or the "
            + EnvironmentVariable + " environment variable) to 32 random bytes in base64, for example the output of "
            + "`openssl rand -base64 32`, or Kiln:KeyEncryptionKeyFile to a file that holds them (docs/security.md#keys-at-rest).";
    }

    private static string? Configured(KilnOptions o) =>
        o.KeyEncryptionKey is { Length: > 0 } k ? k
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } e ? e : null;

    private static List<Kek> Parse(string text, string where)
    {
        var keys = new List<Kek>();
        foreach (var raw in text.Split(['\n', ',', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (raw.StartsWith('#')) continue;
            var bytes = new byte[32];
            if (!Convert.TryFromBase64String(raw, bytes, out var n) || n != 32)
                throw new KeyEncryptionException($"The key-encryption key in {where} is not 32 bytes in base64 (make one with `openssl rand -base64 32`).");
            keys.Add(ToKek(bytes));
        }
        if (keys.Count == 0) throw new KeyEncryptionException($"{where} holds no key-encryption key.");
        return keys;
    }

    private static Kek ToKek(byte[] key)
    {
        if (key.Length != 32) throw new ArgumentException("A key-encryption key is 32 bytes.", nameof(key));
        var id = SHA256.HashData([.. "kiln-kek-id\n"u8, .. key])[..IdLength];
        return new Kek(id, key);
    }

    /// <summary>Writes a key file (0600, atomically): the first key wraps, the others only unwrap.</summary>
    public static Task WriteKeyFileAsync(string path, IEnumerable<byte[]> keys, CancellationToken ct) =>
        SecureFile.WriteAllTextAsync(path,
            "# Kiln key-encryption key (docs/security.md#keys-at-rest). The first line wraps; later lines only unwrap.\n"
            + string.Concat(keys.Select(k => Convert.ToBase64String(k) + "\n")), ct);

    private static void CreateKeyFile(string path)
    {
        try
        {
            WriteKeyFileAsync(path, [RandomNumberGenerator.GetBytes(32)], CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (IOException) when (File.Exists(path)) { } // another process created it first; read theirs
    }

    /// <summary>The raw keys (current first), for rotation.</summary>
    internal IReadOnlyList<byte[]> RawKeys => Keys.All.Select(k => k.Key).ToList();

    /// <summary>Re-reads the source (after rotation rewrote the key file).</summary>
    internal void Replace(IReadOnlyList<byte[]> keys) => _keys = new KeySet(keys.Select(ToKek).ToList(), Keys.Source);

    public static bool IsWrapped(ReadOnlySpan<byte> value) => value.Length >= Overhead && value[0] == Magic && value[1] == Version;

    public static bool IsWrappedText(string? value) => value?.StartsWith(TextPrefix, StringComparison.Ordinal) == true;

    public byte[] Wrap(ReadOnlySpan<byte> plaintext, string purpose)
    {
        var kek = Keys.Current;
        var output = new byte[Overhead + plaintext.Length];
        output[0] = Magic;
        output[1] = Version;
        kek.Id.CopyTo(output, 2);
        var nonce = output.AsSpan(HeaderLength, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(kek.Key, TagLength);
        aes.Encrypt(nonce, plaintext, output.AsSpan(Overhead), output.AsSpan(HeaderLength + NonceLength, TagLength), Aad(output.AsSpan(0, HeaderLength), purpose));
        return output;
    }

    /// <summary>Opens an envelope; throws <see cref="KeyEncryptionException"/> when no loaded KEK opens it.</summary>
    public byte[] Unwrap(ReadOnlySpan<byte> envelope, string purpose)
    {
        if (!IsWrapped(envelope)) throw new KeyEncryptionException($"{purpose} is not a wrapped key.");
        var id = envelope.Slice(2, IdLength).ToArray();
        var kek = Keys.All.FirstOrDefault(k => id.AsSpan().SequenceEqual(k.Id))
            ?? throw new KeyEncryptionException($"{purpose} is wrapped under key-encryption key {Convert.ToHexStringLower(id)}, "
                + $"but this Kiln has {string.Join(", ", KeyIds)} ({Source.Description}). Start Kiln with the key-encryption key it was wrapped under (docs/security.md#keys-at-rest).");
        var plaintext = new byte[envelope.Length - Overhead];
        try
        {
            using var aes = new AesGcm(kek.Key, TagLength);
            aes.Decrypt(envelope.Slice(HeaderLength, NonceLength), envelope[Overhead..], envelope.Slice(HeaderLength + NonceLength, TagLength), plaintext, Aad(envelope[..HeaderLength], purpose));
        }
        catch (CryptographicException)
        {
            throw new KeyEncryptionException($"{purpose} does not decrypt under key-encryption key {kek.IdText}: it was altered or belongs to another row.");
        }
        return plaintext;
    }

    public string WrapText(ReadOnlySpan<byte> plaintext, string purpose) => TextPrefix + Convert.ToBase64String(Wrap(plaintext, purpose));

    public byte[] UnwrapText(string value, string purpose)
    {
        if (!IsWrappedText(value)) throw new KeyEncryptionException($"{purpose} is not a wrapped key.");
        byte[] envelope;
        try { envelope = Convert.FromBase64String(value[TextPrefix.Length..]); }
        catch (FormatException) { throw new KeyEncryptionException($"{purpose} is not valid base64."); }
        return Unwrap(envelope, purpose);
    }

    /// <summary>The envelope's key id (hex), or null when the value is not wrapped.</summary>
    public static string? KeyIdOf(ReadOnlySpan<byte> envelope) => IsWrapped(envelope) ? Convert.ToHexStringLower(envelope.Slice(2, IdLength)) : null;

    private static byte[] Aad(ReadOnlySpan<byte> header, string purpose) => [.. header, .. Encoding.UTF8.GetBytes(purpose)];
}

/// <summary>No usable key-encryption key: Kiln refuses to start (or the admin command to run) with this message.</summary>
public sealed class KeyEncryptionException(string message) : Exception(message);
