using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Hosting;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Users;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Tests.Upstream;

/// <summary>
/// Kiln B, a real <c>kiln serve</c> process, plays the upstream Firefly; Kiln A (in process, on a real port) forwards
/// its demo org's image operations to B through the upstream profile "b" (docs/upstream.md).
/// </summary>
public sealed class UpstreamPair : IAsyncDisposable
{
    public required KilnProcess B { get; set; }
    public required string BDir { get; init; }
    public required int BPort { get; init; }
    public required DemoCredential BDemo { get; init; }
    public required KilnFactory A { get; init; }
    /// <summary>An org admin of A's demo org (user token).</summary>
    public required HttpClient Admin { get; init; }
    /// <summary>A's demo credential with the Firefly scopes.</summary>
    public required HttpClient Firefly { get; init; }
    public string OrgPath => $"/console/organizations/{A.Demo.OrgId}";

    /// <summary>B's environment: usage flushed every second (rotation reads last_used_at).</summary>
    public static Dictionary<string, string> BEnv(Dictionary<string, string>? extra = null)
    {
        var env = new Dictionary<string, string> { ["Kiln__Ims__UsageFlushInterval"] = "00:00:01", ["Kiln__Ims__MaxSecretsPerCredential"] = "3" };
        foreach (var (k, v) in extra ?? []) env[k] = v;
        return env;
    }

    public static async Task<UpstreamPair> StartAsync(Dictionary<string, string>? bEnv = null, Action<KilnFactory>? configureA = null, string? aDataDir = null)
    {
        var bDir = Directory.CreateTempSubdirectory("kiln-upstream-b-").FullName;
        var port = KilnProcess.FreePort();
        var b = await KilnProcess.StartAsync(bDir, port, BEnv(bEnv));
        var demo = JsonSerializer.Deserialize<DemoCredential>(await File.ReadAllTextAsync(Path.Combine(bDir, Bootstrap.FileName)))!;
        var a = new KilnFactory(dataDir: aDataDir)
            .With("Kiln:Upstream:RetryBackoff", "00:00:00.200").With("Kiln:Upstream:MaxRetryBackoff", "00:00:01")
            .With("Kiln:Upstream:StatusPollInterval", "00:00:00.200").With("Kiln:Upstream:MaxStatusPollInterval", "00:00:00.500")
            .With("Kiln:Upstream:RequestTimeout", "00:00:30");
        configureA?.Invoke(a);
        a.Start();
        var org = a.DemoOrg();
        var admin = await a.CreateUserAsync($"admin-{Guid.NewGuid():N}@upstream.test", org, Roles.Admin);
        var pair = new UpstreamPair
        {
            B = b, BDir = bDir, BPort = port, BDemo = demo, A = a, Admin = await a.UserClientAsync(admin, org), Firefly = await a.DemoClientAsync(KilnFactory.FireflyScopes),
        };
        await HttpAssert.JsonAsync(await pair.Admin.PostAsJsonAsync(pair.OrgPath + "/upstreams", pair.Profile(demo.ClientSecret)), 201);
        await HttpAssert.JsonAsync(await pair.Admin.PutAsJsonAsync(pair.OrgPath + "/engine", new { engine = "upstream:b" }), 200);
        return pair;
    }

    /// <summary>The profile "b": every base URL is B's; rotation may use B's demo credential ids.</summary>
    public object Profile(string secret) => new
    {
        name = "b", clientId = BDemo.ClientId, clientSecret = secret, imsBaseUrl = B.BaseUrl, fireflyBaseUrl = B.BaseUrl, consoleBaseUrl = B.BaseUrl,
        upstreamOrgId = BDemo.OrgId, upstreamCredentialId = BDemo.CredentialId,
    };

    /// <summary>A client of B itself, with B's demo credential and the given scopes.</summary>
    public async Task<HttpClient> BClientAsync(string scopes = KilnFactory.FireflyScopes)
    {
        var http = new HttpClient { BaseAddress = new Uri(B.BaseUrl) };
        using var res = await http.PostFormAsync("/ims/token/v3", ("grant_type", "client_credentials"), ("client_id", BDemo.ClientId),
            ("client_secret", BDemo.ClientSecret), ("scope", scopes));
        var token = (await HttpAssert.JsonAsync(res, 200)).GetProperty("access_token").GetString();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        http.DefaultRequestHeaders.Add("x-api-key", BDemo.ClientId);
        return http;
    }

    /// <summary>Restarts B on the same port and data (after <see cref="KilnProcess.Kill"/>).</summary>
    public async Task RestartBAsync() => B = await KilnProcess.StartAsync(BDir, BPort, BEnv());

    /// <summary>A Kiln's database opened directly (SQLite file or its PostgreSQL database), as an operator's tool would.</summary>
    public static KilnDb OpenDb(string dataDir) => TestDatabase.ConnectionFor(dataDir) is { } pg
        ? new PostgresKilnDb(new DbContextOptionsBuilder<PostgresKilnDb>().UseNpgsql(pg).Options)
        : new SqliteKilnDb(new DbContextOptionsBuilder<SqliteKilnDb>().UseSqlite($"Data Source={Path.Combine(dataDir, "kiln.db")};Foreign Keys=True;Default Timeout=30").Options);

    /// <summary>The KEK a `kiln serve` on this data dir uses (the suite's on PostgreSQL, else the key file it created).</summary>
    public static KeyEncryption KekOf(string dataDir) => KeyEncryption.FromKeys(Convert.FromBase64String(TestDatabase.IsPostgres ? TestDatabase.Kek
        : File.ReadAllLines(Path.Combine(dataDir, KeyEncryption.DefaultFileName)).First(l => l.Length > 0 && !l.StartsWith('#'))));

    public async ValueTask DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
        try { Directory.Delete(BDir, recursive: true); } catch (IOException) { }
    }
}
