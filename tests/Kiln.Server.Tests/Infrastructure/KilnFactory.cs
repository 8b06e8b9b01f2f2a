using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Hosting;
using Kiln.TestSupport;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Infrastructure;

/// <summary>
/// A real Kiln on a real loopback port (Kestrel), with its own temporary data directory.
/// New per test, like TodoApi's TodoApplication. Optionally on a fake clock.
/// </summary>
public class KilnFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings = new();
    private readonly List<Action<IServiceCollection>> _services = [];

    public KilnFactory(FakeTimeProvider? clock = null, string? dataDir = null)
    {
        Clock = clock;
        DataDir = dataDir ?? Directory.CreateTempSubdirectory("kiln-test-").FullName;
        UseKestrel(0);
    }

    public string DataDir { get; }
    public FakeTimeProvider? Clock { get; }

    /// <summary>Every log line this Kiln wrote at its configured levels (also in KILN_TEST_LOG_DIR when set).</summary>
    public LogCapture Logs { get; } = new("kiln-inproc");

    /// <summary>Response bodies received by <see cref="Http"/> clients, once <see cref="RecordResponses"/> is set.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<RecordedResponse> Responses { get; } = new();

    /// <summary>When set before <see cref="Http"/> is called, that client records its responses in <see cref="Responses"/>.</summary>
    public bool RecordResponses { get; set; }

    /// <summary>Sets a configuration key (for example "Kiln:Ims:MaxSecretsPerCredential") before start.</summary>
    /// <summary>Pins this Kiln to local-disk storage whatever the suite's storage (for tests of Kiln's own /files URLs).</summary>
    public KilnFactory WithLocalStorage() => With("Kiln:Storage", "");

    public KilnFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    public KilnFactory WithServices(Action<IServiceCollection> configure)
    {
        _services.Add(configure);
        return this;
    }

    /// <summary>Slows the engine down by <paramref name="delayMs"/> before each image, so a test can catch a request or job mid-flight.</summary>
    public KilnFactory WithSlowGenerator(int delayMs) => WithServices(s => SlowGenerator.Decorate(s, TimeSpan.FromMilliseconds(delayMs)));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Kiln:DataDir", DataDir);
        if (TestDatabase.ConnectionFor(DataDir) is { } database) builder.UseSetting("Kiln:Database", database);
        if (TestStorage.IsS3 && !_settings.ContainsKey("Kiln:Storage"))
        {
            builder.UseSetting("Kiln:Storage", TestStorage.NewBucket());
            builder.UseSetting("Kiln:S3:AccessKeyId", TestStorage.AccessKey);
            builder.UseSetting("Kiln:S3:SecretAccessKey", TestStorage.SecretKey);
        }
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        // ./test.sh runs the whole suite with Kiln at Debug (as an operator would set it; Kiln's own filters for
        // ASP.NET Core and EF Core still apply) and scans what LogCapture wrote for secrets.
        if (LogCapture.Dir is not null && !_settings.ContainsKey("Logging:LogLevel:Default")) builder.UseSetting("Logging:LogLevel:Default", "Debug");
        builder.ConfigureLogging(l => l.AddProvider(Logs));
        builder.ConfigureTestServices(services =>
        {
            if (Clock is not null) services.AddSingleton<TimeProvider>(Clock);
            foreach (var c in _services) c(services);
        });
    }

    /// <summary>Starts the server and returns the demo credential it bootstrapped.</summary>
    public DemoCredential Start()
    {
        StartServer();
        return Demo;
    }

    public DemoCredential Demo => JsonSerializer.Deserialize<DemoCredential>(File.ReadAllText(Path.Combine(DataDir, Bootstrap.FileName)))!;

    public Uri BaseAddress => ClientOptions.BaseAddress;

    public HttpClient Http() => RecordResponses
        ? CreateDefaultClient(ClientOptions.BaseAddress, new RedirectHandler(), new CookieContainerHandler(), new ResponseRecorder(Responses))
        : CreateClient();

    public const string FireflyScopes = "openid,AdobeID,session,additional_info,read_organizations,firefly_api,ff_apis";
    public const string IoScopes = "AdobeID,openid,read_organizations,additional_info.projectedProductContext,additional_info.roles,adobeio_api,read_client_secret,manage_client_secrets";

    /// <summary>Mints a token with the seed's encoding (urlencoded form).</summary>
    public async Task<string> TokenAsync(string clientId, string secret, string? scope = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };
        if (scope is not null) form["scope"] = scope;
        using var res = await Http().PostAsync("/ims/token/v3", new FormUrlEncodedContent(form));
        var body = await res.Content.ReadAsStringAsync();
        Assert.True(res.IsSuccessStatusCode, $"token request failed: {(int)res.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    public Task<string> DemoTokenAsync(string? scope = null) => TokenAsync(Demo.ClientId, Demo.ClientSecret, scope);

    /// <summary>An HttpClient that sends the bearer token and x-api-key like the seed's curl commands.</summary>
    public HttpClient Authed(string token, string apiKey)
    {
        var c = Http();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        c.DefaultRequestHeaders.Add("x-api-key", apiKey);
        return c;
    }

    public async Task<HttpClient> DemoClientAsync(string? scope = null) => Authed(await DemoTokenAsync(scope), Demo.ClientId);

    /// <summary>
    /// Creates another credential straight in the database (in a new org unless one is given), subscribed to the
    /// given services, and returns its client id and plaintext secret.
    /// </summary>
    public async Task<(string ClientId, string Secret, long OrgId, long CredentialId)> SeedCredentialAsync(long? orgId = null, params string[] sdkCodes)
    {
        using var scope = Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<Kiln.Server.Data.KilnDb>();
        var secrets = scope.ServiceProvider.GetRequiredService<Kiln.Server.Ims.ClientSecrets>();
        var clock = scope.ServiceProvider.GetRequiredService<TimeProvider>();
        var now = clock.GetUtcNow();
        if (orgId is null)
        {
            var org = new Kiln.Server.Data.Org { Id = Ids.NewOrgId(), Code = Ids.NewOrgCode(), Name = "Other Org " + Guid.NewGuid().ToString("N")[..6], CreatedAt = now };
            db.Orgs.Add(org);
            orgId = org.Id;
        }
        var project = NewEntities.NewProject(orgId.Value, "p" + Guid.NewGuid().ToString("N")[..8], "Seeded project", "test", now);
        var ws = NewEntities.NewWorkspace(orgId.Value, project.Id, "Production", "test", now);
        var cred = NewEntities.NewCredential(orgId.Value, project.Id, ws.Id, "Seeded credential", now);
        foreach (var code in sdkCodes.Length > 0 ? sdkCodes : [Kiln.Server.Ims.Services.Firefly, Kiln.Server.Ims.Services.IoManagement])
            cred.Services.Add(new Kiln.Server.Data.CredentialService { SdkCode = code, SubscribedAt = now });
        var secret = secrets.AddFirst(db, cred, actor: null);
        db.AddRange(project, ws, cred);
        await db.SaveChangesAsync();
        return (cred.ClientId, secret, orgId.Value, cred.Id);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            Logs.Dispose();
            TestDatabase.Drop(DataDir);
            try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

public static class HttpAssert
{
    public static async Task<JsonElement> JsonAsync(HttpResponseMessage res, int status)
    {
        var body = await res.Content.ReadAsStringAsync();
        Assert.True((int)res.StatusCode == status, $"expected {status}, got {(int)res.StatusCode}: {body}");
        Assert.StartsWith("application/json", res.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static async Task GatewayErrorAsync(HttpResponseMessage res, int status, string errorCode)
    {
        var json = await JsonAsync(res, status);
        Assert.Equal(errorCode, json.GetProperty("error_code").GetString());
        Assert.True(json.TryGetProperty("message", out _));
    }

    public static async Task OAuthErrorAsync(HttpResponseMessage res, int status, string error, string? description = null)
    {
        var json = await JsonAsync(res, status);
        Assert.Equal(error, json.GetProperty("error").GetString());
        if (description is not null) Assert.Equal(description, json.GetProperty("error_description").GetString());
        Assert.Equal("no-store", res.Headers.CacheControl?.ToString());
    }

    public static Task<HttpResponseMessage> PostFormAsync(this HttpClient c, string url, params (string, string)[] form) =>
        c.PostAsync(url, new FormUrlEncodedContent(form.Select(p => new KeyValuePair<string, string>(p.Item1, p.Item2))));

    public static Task<HttpResponseMessage> PostEmptyAsync(this HttpClient c, string url) => c.PostAsync(url, null);

    public static Task<HttpResponseMessage> PostJsonAsync<T>(this HttpClient c, string url, T body) => c.PostAsJsonAsync(url, body);
}
