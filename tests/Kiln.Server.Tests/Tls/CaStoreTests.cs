using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Hosting;
using Kiln.Server.Hosting.Tls;
using Kiln.Server.Tests.AtRest;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Tests.Tls;

/// <summary>
/// docs/adobe-hosts.md#the-ca: one CA per installation, in the database, its private key wrapped with the KEK; nodes
/// that start together on one database make one CA between them (SQLite and PostgreSQL).
/// </summary>
public sealed class CaStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-castore-").FullName;
    private readonly List<ServiceProvider> _nodes = [];

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TestDatabase.Drop(_dir);
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A node's data services, prepared as <c>kiln serve</c> prepares them (data directory, KEK).</summary>
    private ServiceProvider Node()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kiln:DataDir"] = _dir, ["Kiln:Database"] = TestDatabase.ConnectionFor(_dir),
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(config);
        services.AddLogging();
        services.AddOptions<KilnOptions>().BindConfiguration(KilnOptions.Section);
        services.AddKilnData();
        var sp = services.BuildServiceProvider();
        KilnInitializer.PrepareData(sp.GetRequiredService<IOptions<KilnOptions>>().Value, sp.GetRequiredService<KeyEncryption>(), NullLogger.Instance);
        _nodes.Add(sp);
        return sp;
    }

    private static async Task<KilnCa> LoadAsync(ServiceProvider node, IReadOnlyList<string>? names = null, bool reissue = false)
    {
        await using var scope = node.CreateAsyncScope();
        return await KilnCa.LoadOrCreateAsync(scope.ServiceProvider.GetRequiredService<KilnDb>(), node.GetRequiredService<KeyEncryption>(),
            names ?? AdobeHosts.ServedNames, reissue, TimeProvider.System, NullLogger.Instance, CancellationToken.None);
    }

    private async Task<ServiceProvider[]> MigratedNodesAsync(int count)
    {
        var nodes = Enumerable.Range(0, count).Select(_ => Node()).ToArray();
        await using var scope = nodes[0].CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<KilnDb>().Database.MigrateAsync();
        return nodes;
    }

    [Fact]
    public async Task Nodes_that_start_together_on_one_database_make_one_CA_and_each_serves_leaves_the_others_trust()
    {
        var nodes = await MigratedNodesAsync(4);
        for (var round = 0; round < 5; round++)
        {
            await using (var scope = nodes[0].CreateAsyncScope())
                await scope.ServiceProvider.GetRequiredService<KilnDb>().ServerSettings
                    .Where(s => s.Key == KilnCa.CertificateSetting || s.Key == KilnCa.PrivateKeySetting).ExecuteDeleteAsync();
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var loads = nodes.Select(async n => { await gate.Task; return await LoadAsync(n); }).ToList();
            gate.SetResult();
            var cas = await Task.WhenAll(loads);
            Assert.Single(cas.Select(c => c.Certificate.Thumbprint).Distinct());

            // Each node's leaves are its own, and chain to every other node's CA (the one CA).
            var leaves = cas.Select(c => new LeafCertificates(TimeProvider.System)).ToArray();
            for (var i = 0; i < cas.Length; i++) leaves[i].Use(cas[i]);
            var now = DateTimeOffset.UtcNow;
            using var leaf = cas[1].Issue("firefly-api.adobe.io", now, now.AddDays(1));
            using var other = X509Certificate2.CreateFromPem(cas[3].Certificate.ExportCertificatePem());
            Assert.True(HostsKit.Chain(X509CertificateLoader.LoadCertificate(leaf.RawData), other).Valid);
            Assert.NotNull(leaves[2].For("firefly-api.adobe.io"));
            foreach (var ca in cas) ca.Dispose();
        }
    }

    [Fact]
    public async Task The_private_key_is_wrapped_and_no_dump_of_the_database_holds_it()
    {
        var node = (await MigratedNodesAsync(1))[0];
        using var ca = await LoadAsync(node);
        using var key = ca.Certificate.GetECDsaPrivateKey()!;
        var pkcs8 = key.ExportPkcs8PrivateKey();
        var d = key.ExportParameters(includePrivateParameters: true).D!;

        var rows = await KeyRows.ReadAsync(_dir);
        var stored = rows.Settings[KilnCa.PrivateKeySetting];
        Assert.StartsWith(KeyEncryption.TextPrefix, stored, StringComparison.Ordinal);
        Assert.False(KeysKit.ImportsAsPkcs8(Convert.FromBase64String(stored[KeyEncryption.TextPrefix.Length..])));
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", rows.Settings[KilnCa.CertificateSetting], StringComparison.Ordinal);

        var dump = TestDatabase.RawContents(_dir);
        foreach (var secret in new[]
        {
            Convert.ToBase64String(pkcs8), Convert.ToBase64String(d), Convert.ToHexStringLower(d), Convert.ToHexString(d),
            System.Text.Encoding.Latin1.GetString(pkcs8.AsSpan(pkcs8.Length - 40, 40)), System.Text.Encoding.Latin1.GetString(d),
        })
            Assert.DoesNotContain(secret, dump, StringComparison.Ordinal);
        Assert.Contains(ca.Certificate.ExportCertificatePem()[30..90], dump, StringComparison.Ordinal); // the dump is readable: the public part is there
    }

    [Fact]
    public async Task Other_names_are_refused_until_a_reissue_and_a_KEK_rotation_rewraps_the_key()
    {
        var node = (await MigratedNodesAsync(1))[0];
        using var first = await LoadAsync(node);
        var wider = AdobeHosts.Names(["kiln.corp.example"]);
        var refused = await Assert.ThrowsAsync<KilnCaException>(() => LoadAsync(node, wider));
        Assert.Contains("--reissue-ca", refused.Message, StringComparison.Ordinal);
        using (var same = await LoadAsync(node)) Assert.Equal(first.Certificate.Thumbprint, same.Certificate.Thumbprint);

        using var second = await LoadAsync(node, wider, reissue: true);
        Assert.NotEqual(first.Certificate.Thumbprint, second.Certificate.Thumbprint);
        Assert.Contains("kiln.corp.example", NameConstraints.Read(second.Certificate)!);
        using (var again = await LoadAsync(node, wider)) Assert.Equal(second.Certificate.Thumbprint, again.Certificate.Thumbprint);

        // kiln admin rotate-kek moves the CA's key with the other settings.
        var kek = node.GetRequiredService<KeyEncryption>();
        var fresh = RandomNumberGenerator.GetBytes(32);
        await using (var scope = node.CreateAsyncScope())
        {
            kek.Replace([fresh, .. kek.RawKeys]);
            await KeysAtRest.RewrapAllAsync(scope.ServiceProvider.GetRequiredService<KilnDb>(), kek, CancellationToken.None);
            kek.Replace([fresh]);
        }
        using var rewrapped = await LoadAsync(node, wider);
        Assert.Equal(second.Certificate.Thumbprint, rewrapped.Certificate.Thumbprint);
        Assert.True(rewrapped.Certificate.HasPrivateKey);
    }
}
