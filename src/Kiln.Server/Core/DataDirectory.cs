namespace Kiln.Server.Core;

/// <summary>
/// The data directory holds the SQLite database, blobs, the key-encryption key file and the first-start secrets, so
/// only Kiln's user may enter it (docs/security.md#files-on-disk): it is created 0700, an existing one that group or
/// others may read is tightened (with a log line) or refused, and <c>kiln.db</c> is created 0600 before SQLite opens
/// it, because SQLite gives <c>kiln.db-wal</c> and <c>kiln.db-shm</c> the database file's mode. <c>kiln serve</c> and
/// every <c>kiln admin</c> command call <see cref="Prepare"/> before they open the database.
/// </summary>
public static class DataDirectory
{
    public const string DatabaseFileName = "kiln.db";
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
    public const UnixFileMode DirMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates or tightens the data directory (and the SQLite file when SQLite is used). Throws <see cref="DataDirectoryException"/> when it cannot.</summary>
    public static void Prepare(KilnOptions o, ILogger log)
    {
        var dir = o.FullDataDir;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
            return;
        }
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, DirMode);
            File.SetUnixFileMode(dir, DirMode); // a umask wider than 077 cannot open it further, but be explicit
        }
        else if ((File.GetUnixFileMode(dir) & GroupOrOther) != 0)
        {
            var before = File.GetUnixFileMode(dir);
            try
            {
                File.SetUnixFileMode(dir, before & ~GroupOrOther);
                var tightened = TightenTree(dir);
                log.LogWarning("The data directory {DataDir} was open to other users (mode {Before}); set it to {After} and tightened {Count} files in it",
                    dir, Octal(before), Octal(before & ~GroupOrOther), tightened);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                throw new DataDirectoryException($"The data directory {dir} is open to other users (mode {Octal(before)}) and Kiln cannot change it "
                    + $"({e.Message}). It holds the database and the key-encryption key: make it owned by the user that runs Kiln and `chmod 700 {dir}`.");
            }
        }
        else
        {
            // A data directory that older versions left 0700 by hand may still hold 0644 files (kiln.db and its WAL).
            foreach (var file in Directory.EnumerateFiles(dir))
                if ((File.GetUnixFileMode(file) & GroupOrOther) != 0) File.SetUnixFileMode(file, File.GetUnixFileMode(file) & ~GroupOrOther);
        }
        if (!o.UsesPostgres) CreatePrivate(Path.Combine(dir, DatabaseFileName));
    }

    /// <summary>Creates an empty 0600 file unless it exists (SQLite treats an empty file as an empty database).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void CreatePrivate(string path)
    {
        if (File.Exists(path)) return;
        try
        {
            using var _ = new FileStream(path, new FileStreamOptions { Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode });
        }
        catch (IOException) when (File.Exists(path)) { } // created by a concurrent start
    }

    /// <summary>Takes group and other bits off every file and folder below <paramref name="dir"/>; returns how many changed.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static int TightenTree(string dir)
    {
        var changed = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            if (new FileInfo(entry).LinkTarget is not null) continue;
            var mode = File.GetUnixFileMode(entry);
            if ((mode & GroupOrOther) == 0) continue;
            File.SetUnixFileMode(entry, mode & ~GroupOrOther);
            changed++;
        }
        return changed;
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);
}

/// <summary>The data directory is unsafe and cannot be fixed: Kiln refuses to start with this message.</summary>
public sealed class DataDirectoryException(string message) : Exception(message);
