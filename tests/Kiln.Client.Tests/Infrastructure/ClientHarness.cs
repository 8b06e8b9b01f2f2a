using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Client.Tests.Infrastructure;

/// <summary>Counts what went through an HttpClient pipeline (shared across handler instances).</summary>
public sealed class RequestLog
{
    private int _count;
    private readonly List<string> _entries = [];
    public int Count => Volatile.Read(ref _count);
    public IReadOnlyList<string> Entries { get { lock (_entries) return [.. _entries]; } }
    public void Add(string entry)
    {
        Interlocked.Increment(ref _count);
        lock (_entries) _entries.Add(entry);
    }
}

/// <summary>Records each request and its status: "POST /ims/token/v3 -> 200".</summary>
public sealed class LoggingHandler(RequestLog log, Func<HttpRequestMessage, HttpResponseMessage?>? fault = null) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        if (fault?.Invoke(request) is { } injected)
        {
            log.Add($"{request.Method} {request.RequestUri!.AbsolutePath} -> {(int)injected.StatusCode} (injected)");
            return injected;
        }
        var res = await base.SendAsync(request, ct);
        log.Add($"{request.Method} {request.RequestUri!.AbsolutePath} -> {(int)res.StatusCode}");
        return res;
    }
}

/// <summary>The client library wired by AddKilnClient against a running KilnFactory, with the token requests counted.</summary>
public sealed class ClientHarness : IDisposable
{
    private readonly ServiceProvider _sp;

    public ClientHarness(KilnFactory kiln, Action<KilnClientOptions>? configure = null, Action<KilnClientBuilder>? more = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddKilnClient(o =>
        {
            o.UseKiln(kiln.BaseAddress);
            o.ClientId = kiln.Demo.ClientId;
            o.ClientSecrets.Add(kiln.Demo.ClientSecret);
            if (kiln.Clock is { } clock) o.TimeProvider = clock;
            configure?.Invoke(o);
        });
        builder.Ims.AddHttpMessageHandler(() => new LoggingHandler(TokenRequests));
        builder.Console.AddHttpMessageHandler(() => new LoggingHandler(ConsoleRequests, ConsoleFault));
        builder.Firefly.AddHttpMessageHandler(() => new LoggingHandler(FireflyRequests));
        more?.Invoke(builder);
        _sp = services.BuildServiceProvider();
    }

    public RequestLog TokenRequests { get; } = new();
    public RequestLog ConsoleRequests { get; } = new();
    public RequestLog FireflyRequests { get; } = new();
    /// <summary>Set to make the Console pipeline answer some requests itself (after the auth handler).</summary>
    public Func<HttpRequestMessage, HttpResponseMessage?>? ConsoleFault { get; set; }

    public ServerToServerTokenProvider Tokens => _sp.GetRequiredService<ServerToServerTokenProvider>();
    public ConsoleClient Console => _sp.GetRequiredService<ConsoleClient>();
    public FireflyClient Firefly => _sp.GetRequiredService<FireflyClient>();
    public SecretRotator Rotator => _sp.GetRequiredService<SecretRotator>();
    public T Get<T>() where T : notnull => _sp.GetRequiredService<T>();

    public void Dispose() => _sp.Dispose();
}

/// <summary>Out-of-band secret operations, with plain HTTP and the demo credential, like the seed's curl commands.</summary>
public static class SecretsAdmin
{
    public static async Task<(string Uuid, string Secret)> AddAsync(KilnFactory kiln, string? usingSecret = null)
    {
        var http = kiln.Authed(await kiln.TokenAsync(kiln.Demo.ClientId, usingSecret ?? kiln.Demo.ClientSecret, KilnFactory.IoScopes), kiln.Demo.ClientId);
        var res = await http.PostAsync(Path(kiln), null);
        var json = await HttpAssert.JsonAsync(res, 201);
        return (json.GetProperty("uuid").GetString()!, json.GetProperty("client_secret").GetString()!);
    }

    public static async Task DeleteAsync(KilnFactory kiln, string uuid, string usingSecret)
    {
        var http = kiln.Authed(await kiln.TokenAsync(kiln.Demo.ClientId, usingSecret, KilnFactory.IoScopes), kiln.Demo.ClientId);
        var res = await http.DeleteAsync($"{Path(kiln)}/{uuid}");
        Assert.Equal(204, (int)res.StatusCode);
    }

    public static async Task<List<string>> UuidsAsync(KilnFactory kiln, string usingSecret)
    {
        var http = kiln.Authed(await kiln.TokenAsync(kiln.Demo.ClientId, usingSecret, KilnFactory.IoScopes), kiln.Demo.ClientId);
        var json = await HttpAssert.JsonAsync(await http.GetAsync(Path(kiln)), 200);
        return [.. json.GetProperty("client_secrets").EnumerateArray().Select(s => s.GetProperty("uuid").GetString()!)];
    }

    /// <summary>Whether the secret can mint a token right now (a real request to the real token endpoint).</summary>
    public static async Task<bool> MintsAsync(KilnFactory kiln, string secret)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = kiln.Demo.ClientId, ["client_secret"] = secret };
        using var res = await kiln.Http().PostAsync("/ims/token/v3", new FormUrlEncodedContent(form));
        return res.IsSuccessStatusCode;
    }

    public static string Path(KilnFactory kiln) => $"/console/organizations/{kiln.Demo.OrgId}/credentials/{kiln.Demo.CredentialId}/secrets";

    public static async Task<string> FirstUuidAsync(KilnFactory kiln) => (await UuidsAsync(kiln, kiln.Demo.ClientSecret))[0];

    public static JsonElement Parse(string s) => JsonDocument.Parse(s).RootElement.Clone();

    public static Task<T?> ReadAsync<T>(HttpResponseMessage res) => res.Content.ReadFromJsonAsync<T>();
}

/// <summary>An IProgress that records synchronously (Progress&lt;T&gt; posts to the thread pool, out of order).</summary>
public sealed class ListProgress<T> : IProgress<T>
{
    private readonly List<T> _items = [];
    public IReadOnlyList<T> Items { get { lock (_items) return [.. _items]; } }
    public void Report(T value) { lock (_items) _items.Add(value); }
}
