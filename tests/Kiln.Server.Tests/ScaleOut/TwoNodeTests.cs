using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.ScaleOut;

/// <summary>
/// Two `kiln serve` data directories (nodes A and B) sharing one PostgreSQL database and one S3 bucket;
/// every node started is disposed, and the database and directories removed, after the test.
/// </summary>
public abstract class TwoNodeTests(string name) : IAsyncLifetime
{
    private readonly List<KilnProcess> _nodes = [];

    protected string DirA { get; } = Directory.CreateTempSubdirectory($"kiln-{name}-a-").FullName;
    protected string DirB { get; } = Directory.CreateTempSubdirectory($"kiln-{name}-b-").FullName;
    protected string Bucket { get; } = TestStorage.NewBucket();
    protected string Database { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Database = TestDatabase.CreatePostgres(DirA);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes) await n.DisposeAsync();
        TestDatabase.Drop(DirA);
        Directory.Delete(DirA, true);
        Directory.Delete(DirB, true);
    }

    /// <summary>Starts a node on <paramref name="dir"/> with the shared database and bucket and the given settings.</summary>
    protected async Task<KilnProcess> StartNodeAsync(string dir, params (string Key, string Value)[] settings)
    {
        var node = await KilnProcess.StartAsync(dir, database: Database, env: NodeKit.S3Env(Bucket, settings));
        _nodes.Add(node);
        return node;
    }
}
