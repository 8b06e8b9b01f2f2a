using System.Net.Http.Headers;
using System.Text;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.AtRest;

/// <summary>
/// docs/security.md#files-on-disk over a real `kiln serve` process started with umask 022 (the test host's): the data
/// directory is 0700 and every file Kiln writes in it 0600, SQLite's WAL and shared-memory files included.
/// </summary>
public sealed class DataDirectoryTests : IDisposable
{
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kiln-perm-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
        TestDatabase.Drop(_dir);
    }

    /// <summary>The test is only meaningful when new files would otherwise be group- and world-readable.</summary>
    private static void AssertUmask022()
    {
        var probe = Path.Combine(Path.GetTempPath(), "kiln-umask-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(probe, "");
        try { Assert.True((File.GetUnixFileMode(probe) & UnixFileMode.OtherRead) != 0, "the test host's umask already hides new files; run it with umask 022"); }
        finally { File.Delete(probe); }
    }

    private static async Task GenerateAnImageAsync(KilnProcess node)
    {
        var demo = KeysKit.Demo(node.DataDir);
        var token = await KeysKit.TokenAsync(node.BaseUrl, demo, KilnFactory.FireflyScopes);
        using var http = new HttpClient();
        using var req = new HttpRequestMessage(HttpMethod.Post, node.BaseUrl + "/v3/images/generate")
        {
            Content = new StringContent("""{"prompt": "a realistic illustration of a cat coding"}""", Encoding.UTF8, "application/json"),
        };
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        req.Headers.Add("x-api-key", demo.GetProperty("client_id").GetString());
        using var res = await http.SendAsync(req);
        Assert.True(res.IsSuccessStatusCode, $"generate: {(int)res.StatusCode} {await res.Content.ReadAsStringAsync()}");
    }

    private List<string> OpenEntries() =>
        Directory.EnumerateFileSystemEntries(_dir, "*", SearchOption.AllDirectories).Append(_dir)
            .Where(p => (File.GetUnixFileMode(p) & GroupOrOther) != 0)
            .Select(p => $"{Path.GetRelativePath(_dir, p)} {Convert.ToString((int)File.GetUnixFileMode(p), 8)}").ToList();

    [Fact]
    public async Task A_new_data_directory_is_0700_and_every_file_in_it_0600()
    {
        AssertUmask022();
        await using (var node = await KilnProcess.StartAsync(_dir))
        {
            await GenerateAnImageAsync(node); // a blob on local disk
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir));
            var files = Directory.GetFiles(_dir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_dir, f)).ToList();
            Assert.Contains("admin-password", files);
            Assert.Contains("demo-credential.json", files);
            Assert.Contains(files, f => f.StartsWith("blobs/", StringComparison.Ordinal));
            if (!TestDatabase.IsPostgres)
            {
                Assert.Contains("kiln.db", files);
                Assert.Contains("kiln.db-wal", files);
                Assert.Contains("kiln.db-shm", files);
                Assert.Contains("kiln.kek", files);
            }
            var open = OpenEntries();
            Assert.True(open.Count == 0, "open to other users:\n" + string.Join('\n', open));
        }
    }

    [Fact]
    public async Task An_existing_0755_data_directory_and_its_0644_files_are_tightened_with_a_log_line()
    {
        AssertUmask022();
        Directory.CreateDirectory(_dir);
        File.SetUnixFileMode(_dir, (UnixFileMode)Convert.ToInt32("755", 8));
        Directory.CreateDirectory(Path.Combine(_dir, "blobs", "outputs"));
        File.WriteAllText(Path.Combine(_dir, "blobs", "outputs", "old.png"), "left by an older version");
        File.SetUnixFileMode(Path.Combine(_dir, "blobs", "outputs", "old.png"), (UnixFileMode)Convert.ToInt32("644", 8));
        Assert.NotEmpty(OpenEntries());

        await using var node = await KilnProcess.StartAsync(_dir);
        var open = OpenEntries();
        Assert.True(open.Count == 0, "still open to other users:\n" + string.Join('\n', open));
        Assert.Contains("was open to other users", node.Output, StringComparison.Ordinal);
    }
}
