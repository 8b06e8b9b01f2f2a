using System.Net.Http.Json;
using Kiln.Server.Data;
using Kiln.Server.Hosting;
using Kiln.Server.Ims;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Tests.ScaleOut;
using Kiln.Server.Users;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Tests.Upstream;

/// <summary>
/// Two gateway nodes (<c>kiln serve</c> processes on one PostgreSQL database and one S3 bucket, whatever the suite's
/// provider: several nodes need both) whose demo org runs on the engine upstream:b, and Kiln B, a third process with its
/// own database, as the upstream (docs/upstream.md#rotation). The profile is added over REST by an org admin whose
/// user token comes from the device flow.
/// </summary>
public abstract class TwoGateways(string name) : IAsyncLifetime
{
    private readonly List<KilnProcess> _processes = [];
    private readonly string _dir1 = Directory.CreateTempSubdirectory($"kiln-{name}-1-").FullName;
    private readonly string _dir2 = Directory.CreateTempSubdirectory($"kiln-{name}-2-").FullName;
    private readonly string _bucket = TestStorage.NewBucket();

    protected string BDir { get; } = Directory.CreateTempSubdirectory($"kiln-{name}-b-").FullName;
    protected string Database { get; private set; } = null!;
    protected KilnProcess B { get; private set; } = null!;
    protected KilnProcess Node1 { get; private set; } = null!;
    protected KilnProcess Node2 { get; private set; } = null!;
    protected DemoCredential Demo { get; private set; } = null!;
    protected DemoCredential BDemo { get; private set; } = null!;
    protected string OrgPath => $"/console/organizations/{Demo.OrgId}";

    public Task InitializeAsync()
    {
        Database = TestDatabase.CreatePostgres(_dir1);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _processes) await p.DisposeAsync();
        TestDatabase.Drop(_dir1);
        TestDatabase.Drop(BDir);
        foreach (var d in new[] { _dir1, _dir2, BDir })
            try { Directory.Delete(d, true); } catch (IOException) { }
    }

    /// <summary>Starts B and both gateway nodes (with <paramref name="settings"/>), adds the profile "b" and makes it the demo org's engine.</summary>
    protected async Task StartAsync(params (string Key, string Value)[] settings)
    {
        (string, string)[] all =
        [
            ("Kiln__Upstream__StatusPollInterval", "00:00:00.200"), ("Kiln__Upstream__MaxStatusPollInterval", "00:00:00.500"),
            ("Kiln__Upstream__RetryBackoff", "00:00:00.200"), ("Kiln__Upstream__MaxRetryBackoff", "00:00:01"), .. settings,
        ];
        var b = KilnProcess.StartAsync(BDir, env: UpstreamPair.BEnv());
        var node1 = KilnProcess.StartAsync(_dir1, database: Database, env: NodeKit.S3Env(_bucket, all));
        _processes.Add(B = await b);
        _processes.Add(Node1 = await node1);
        _processes.Add(Node2 = await KilnProcess.StartAsync(_dir2, database: Database, env: NodeKit.S3Env(_bucket, all)));
        Demo = await NodeKit.DemoAsync(_dir1);
        BDemo = await NodeKit.DemoAsync(BDir);
        using var admin = await AdminAsync(Node1);
        var profile = new
        {
            name = "b", clientId = BDemo.ClientId, clientSecret = BDemo.ClientSecret, imsBaseUrl = B.BaseUrl, fireflyBaseUrl = B.BaseUrl, consoleBaseUrl = B.BaseUrl,
            upstreamOrgId = BDemo.OrgId, upstreamCredentialId = BDemo.CredentialId,
        };
        await HttpAssert.JsonAsync(await admin.PostAsJsonAsync(OrgPath + "/upstreams", profile), 201);
        await HttpAssert.JsonAsync(await admin.PutAsJsonAsync(OrgPath + "/engine", new { engine = "upstream:b" }), 200);
    }

    /// <summary>The shared database, opened directly.</summary>
    protected KilnDb Db() => new PostgresKilnDb(new DbContextOptionsBuilder<PostgresKilnDb>().UseNpgsql(Database).Options);

    /// <summary>A client of <paramref name="node"/> with the demo credential's token (minted there; every node verifies it).</summary>
    protected async Task<HttpClient> DemoClientAsync(KilnProcess node, string scopes = KilnFactory.FireflyScopes) =>
        NodeKit.Authed(node, await NodeKit.TokenAsync(node, Demo.ClientId, Demo.ClientSecret, scopes), Demo.ClientId);

    /// <summary>A new org admin of the demo org, signed in through the device flow on <paramref name="node"/> (the approval straight in the database, as the UI's page does).</summary>
    protected async Task<HttpClient> AdminAsync(KilnProcess node)
    {
        var orgId = long.Parse(Demo.OrgId, System.Globalization.CultureInfo.InvariantCulture);
        long userId;
        await using (var db = Db())
        {
            var (user, error) = await UserAccounts.CreateAsync(db, TimeProvider.System, $"admin-{Guid.NewGuid():N}@gateway.test", "password-123", default);
            Assert.True(user is not null, error?.Message);
            userId = user.Id;
            db.OrgMemberships.Add(new OrgMembership { OrgId = orgId, UserId = userId, Role = Roles.Admin, CreatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }
        using var http = NodeKit.Http(node);
        var code = await HttpAssert.JsonAsync(await http.PostFormAsync("/ims/device/code", ("client_id", ConsoleKit.Cli)), 200);
        await using (var db = Db())
            Assert.Equal(DeviceDecision.Approved, await DeviceFlow.ApproveAsync(db, TimeProvider.System, code.GetProperty("user_code").GetString()!, userId, orgId, default));
        var token = await HttpAssert.JsonAsync(await http.PostFormAsync("/ims/token/v3",
            ("grant_type", DeviceFlow.GrantType), ("client_id", ConsoleKit.Cli), ("device_code", code.GetProperty("device_code").GetString()!)), 200);
        return NodeKit.Authed(node, token.GetProperty("access_token").GetString()!, ConsoleKit.Cli);
    }
}
