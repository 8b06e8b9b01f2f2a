using System.CommandLine;
using System.Text.Json;
using Kiln.Client;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary>
/// One client command's world: configuration (flags, then environment, then profile), the Kiln client services,
/// and output (tables or <c>--json</c>). <see cref="RunAsync"/> maps failures to exit codes: 1 API, 2 usage.
/// </summary>
public sealed class CliContext : IAsyncDisposable
{
    public const int Ok = 0, ApiError = 1, UsageError = 2;
    public static readonly JsonSerializerOptions JsonOut = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private ServiceProvider? _services;

    private CliContext(ParseResult parse, CancellationToken ct)
    {
        Parse = parse;
        Ct = ct;
        Json = parse.GetValue(CliOptions.Json);
        ProfileName = parse.GetValue(CliOptions.Profile) ?? Env("KILN_PROFILE") ?? "default";
        Profile = CliProfile.Load(ProfileName);
        Out = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Out) });
        if (System.Console.IsOutputRedirected) Out.Profile.Width = 240; // no wrapping of ids in captured output
    }

    public ParseResult Parse { get; }
    public CancellationToken Ct { get; }
    public bool Json { get; }
    public string ProfileName { get; }
    public CliProfile? Profile { get; }
    public IAnsiConsole Out { get; }

    public string? BaseUrl => Parse.GetValue(CliOptions.BaseUrl) ?? Env("KILN_BASE_URL") ?? Profile?.BaseUrl;
    public string? ClientId => Parse.GetValue(CliOptions.ClientId) ?? Env("FIREFLY_SERVICES_CLIENT_ID") ?? Profile?.ClientId;
    public string? OrgId => Parse.GetValue(CliOptions.Org) ?? Env("KILN_ORG_ID") ?? Profile?.OrgId;
    public string? CredentialId => Parse.GetValue(CliOptions.Credential) ?? Env("KILN_CREDENTIAL_ID") ?? Profile?.CredentialId;

    /// <summary>The secret, or an access token, by precedence: flag secret, env token, env secret, profile secret, profile token.</summary>
    public (string? Secret, string? Token) Credentials()
    {
        if (Parse.GetValue(CliOptions.ClientSecret) is { Length: > 0 } flag) return (flag, null);
        if (Env("FIREFLY_SERVICES_ACCESS_TOKEN") is { } envToken) return (null, envToken);
        if (Env("FIREFLY_SERVICES_CLIENT_SECRET") is { } envSecret) return (envSecret, null);
        if (Profile?.ClientSecret is { Length: > 0 } ps) return (ps, null);
        var expired = Profile?.AccessTokenExpiresAt is { } at && DateTimeOffset.FromUnixTimeMilliseconds(at) <= TimeProvider.System.GetUtcNow();
        if (expired) throw new CliUsageException($"The signed-in token of profile '{ProfileName}' has expired: run `kiln login` again.");
        return (null, Profile?.AccessToken);
    }

    /// <summary>Whether the secret in use came from the profile (so rotation can store the new one there).</summary>
    public bool SecretFromProfile => Parse.GetValue(CliOptions.ClientSecret) is not { Length: > 0 }
        && Env("FIREFLY_SERVICES_ACCESS_TOKEN") is null && Env("FIREFLY_SERVICES_CLIENT_SECRET") is null && Profile?.ClientSecret is { Length: > 0 };

    public IServiceProvider Services => _services ??= Build();

    public ServerToServerTokenProvider Tokens => Services.GetRequiredService<ServerToServerTokenProvider>();
    public ConsoleClient Console => Services.GetRequiredService<ConsoleClient>();
    public FireflyClient Firefly => Services.GetRequiredService<FireflyClient>();
    public SecretRotator Rotator => Services.GetRequiredService<SecretRotator>();

    public string RequireOrg() => OrgId ?? throw new CliUsageException("No org id: pass --org or run `kiln configure`.");

    /// <summary>The org and credential: from flags, environment or profile, else looked up from the client id (docs/console.md#endpoints <c>/console/clients/{clientId}/credential</c>).</summary>
    public async Task<(string Org, string Credential)> CredentialAsync()
    {
        if (OrgId is { } org && CredentialId is { } cred) return (org, cred);
        CredentialLocation found;
        try { found = await Console.FindCredentialAsync(ClientId!, Ct); }
        catch (ConsoleApiException e) when (e.StatusCode is System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.Forbidden)
        {
            throw new CliUsageException("No org or credential id: pass --org and --credential, or run `kiln configure`.");
        }
        return (OrgId ?? found.OrgId, CredentialId ?? found.CredentialId);
    }

    private ServiceProvider Build()
    {
        var clientId = ClientId ?? throw new CliUsageException("No client id: pass --client-id, set FIREFLY_SERVICES_CLIENT_ID, or run `kiln configure`.");
        var (secret, token) = Credentials();
        if (secret is null && token is null)
            throw new CliUsageException("No client secret or access token: pass --client-secret, set FIREFLY_SERVICES_CLIENT_SECRET, or run `kiln configure`.");
        Uri? baseUrl = null;
        if (BaseUrl is { } b && (!Uri.TryCreate(b, UriKind.Absolute, out baseUrl) || baseUrl.Scheme is not ("http" or "https")))
            throw new CliUsageException($"--base-url '{b}' is not an absolute http(s) URL.");
        var services = new ServiceCollection();
        services.AddKilnClient(o =>
        {
            if (baseUrl is not null) o.UseKiln(baseUrl);
            else o.UseAdobe();
            o.ClientId = clientId;
            if (secret is not null) o.ClientSecrets.Add(secret);
            else o.AccessToken = token;
            if (Profile?.Scopes is { Length: > 0 } s) o.Scopes = s;
        });
        return services.BuildServiceProvider();
    }

    public void WriteJson<T>(T value) => System.Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonOut));

    public static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    public async ValueTask DisposeAsync()
    {
        if (_services is not null) await _services.DisposeAsync();
    }

    /// <summary>Runs a command body: one clear line on stderr for failures, details with --verbose.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<CliContext, Task<int>> body, CancellationToken ct)
    {
        var verbose = parse.GetValue(CliOptions.Verbose);
        try
        {
            await using var ctx = new CliContext(parse, ct);
            return await body(ctx);
        }
        catch (CliUsageException e) { return Fail(UsageError, e.Message, e, verbose); }
        catch (Microsoft.Extensions.Options.OptionsValidationException e) { return Fail(UsageError, "Invalid configuration: " + string.Join(" ", e.Failures), e, verbose); }
        catch (KilnAuthenticationException e) { return Fail(ApiError, $"Authentication failed: {e.Result.Error}: {e.Result.ErrorDescription}", e, verbose); }
        catch (FireflyJobFailedException e) { return Fail(ApiError, $"Job {e.JobId} ended as {e.JobStatus.ToString().ToLowerInvariant()}: {e.ErrorCode}: {e.ApiMessage}", e, verbose, e.Body); }
        catch (KilnApiException e) { return Fail(ApiError, e.Message, e, verbose, e.Body); }
        catch (HttpRequestException e) { return Fail(ApiError, "Request failed: " + e.Message, e, verbose); }
        catch (TimeoutException e) { return Fail(ApiError, e.Message, e, verbose); }
        catch (OperationCanceledException e) when (ct.IsCancellationRequested) { return Fail(130, "Cancelled.", e, false); }
        catch (OperationCanceledException e) { return Fail(ApiError, "Timed out: " + e.Message, e, verbose); }
    }

    private static int Fail(int code, string message, Exception e, bool verbose, string? body = null)
    {
        System.Console.Error.WriteLine($"kiln: {message}");
        if (verbose)
        {
            if (!string.IsNullOrEmpty(body)) System.Console.Error.WriteLine(body);
            System.Console.Error.WriteLine(e.ToString());
        }
        return code;
    }
}
