using System.Net;
using Kiln.Client;
using Kiln.Client.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Telemetry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The HTTP clients <c>AddKilnClient</c> registered for one client name, for adding handlers.</summary>
/// <param name="Name">The client name (<c>Options.DefaultName</c>, empty for the default client).</param>
/// <param name="Services">The service collection.</param>
/// <param name="Ims">The token-request client.</param>
/// <param name="Firefly">The <see cref="FireflyClient"/>'s HTTP client.</param>
/// <param name="Console">The <see cref="ConsoleClient"/>'s HTTP client.</param>
public sealed record KilnClientBuilder(string Name, IServiceCollection Services, IHttpClientBuilder Ims, IHttpClientBuilder Firefly, IHttpClientBuilder Console);

/// <summary>
/// Registers the Kiln client: token provider, auth handler, Firefly, Console and device-flow clients and the secret rotator
/// (docs/client.md#dependency-injection). The default client is resolved as is; a named client as a keyed service
/// (<c>[FromKeyedServices("team-a")] FireflyClient</c>, <c>GetRequiredKeyedService&lt;FireflyClient&gt;("team-a")</c>).
/// </summary>
public static class KilnClientServiceCollectionExtensions
{
    /// <summary>Adds the default client, configured in code.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    public static KilnClientBuilder AddKilnClient(this IServiceCollection services, Action<KilnClientOptions> configure) =>
        services.AddKilnClient(Options.Options.DefaultName, configure);

    /// <summary>Adds the default client, bound from a configuration section (for example <c>configuration.GetSection("Kiln")</c>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The section: <c>BaseUrl</c> (or <c>ImsBaseUrl</c>, <c>FireflyBaseUrl</c>, <c>ConsoleBaseUrl</c>), <c>ClientId</c>, <c>ClientSecrets</c>, ...</param>
    /// <param name="configure">Further settings in code, applied after the binding.</param>
    public static KilnClientBuilder AddKilnClient(this IServiceCollection services, IConfiguration configuration, Action<KilnClientOptions>? configure = null) =>
        services.AddKilnClient(Options.Options.DefaultName, configuration, configure);

    /// <summary>Adds a named client bound from a configuration section.</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The client name (the service key).</param>
    /// <param name="configuration">The section.</param>
    /// <param name="configure">Further settings in code, applied after the binding.</param>
    public static KilnClientBuilder AddKilnClient(this IServiceCollection services, string name, IConfiguration configuration, Action<KilnClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddKilnClient(name, o =>
        {
            configuration.Bind(o);
            configure?.Invoke(o);
        });
    }

    /// <summary>
    /// Adds a client under <paramref name="name"/>: its own options (<c>IOptionsMonitor&lt;KilnClientOptions&gt;.Get(name)</c>),
    /// token cache and HTTP clients. Parts registered before this call win (TryAdd). Resilience: per-attempt and total
    /// timeouts (<see cref="KilnClientOptions.RequestTimeout"/>, <see cref="KilnClientOptions.TotalRequestTimeout"/>),
    /// retries with jittered exponential backoff (honouring <c>Retry-After</c>) for 408, 429, 5xx and transport errors on
    /// GET/PUT/DELETE; POST is retried only on 429 and 503, which mean "not processed", and when the connection could not be
    /// made (nothing was sent), so a timed-out generate or secret-add is never sent twice.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The client name (the service key).</param>
    /// <param name="configure">Sets the options.</param>
    public static KilnClientBuilder AddKilnClient(this IServiceCollection services, string name, Action<KilnClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(configure);
        var isDefault = name == Options.Options.DefaultName;
        services.AddOptions<KilnClientOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KilnClientOptions>, KilnClientOptions.Validator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<TelemetryOptions>, QuietResilienceTelemetry>());
        var suffix = isDefault ? "" : "." + name;
        static KilnClientOptions Opts(IServiceProvider sp, string n) => sp.GetRequiredService<IOptionsMonitor<KilnClientOptions>>().Get(n);

        var imsName = ServerToServerTokenProvider.HttpClientName + suffix;
        var ims = services.AddHttpClient(imsName);
        ServerToServerTokenProvider NewProvider(IServiceProvider sp) => new(() => sp.GetRequiredService<IHttpClientFactory>().CreateClient(imsName), Opts(sp, name),
            sp.GetService<ILoggerFactory>()?.CreateLogger<ServerToServerTokenProvider>());
        ServerToServerTokenProvider Provider(IServiceProvider sp) =>
            isDefault ? sp.GetRequiredService<ServerToServerTokenProvider>() : sp.GetRequiredKeyedService<ServerToServerTokenProvider>(name);
        if (isDefault) services.TryAddSingleton(NewProvider);
        else services.TryAddKeyedSingleton(name, (sp, _) => NewProvider(sp));

        var firefly = services.AddHttpClient("Kiln.Firefly" + suffix, c => c.Timeout = Timeout.InfiniteTimeSpan); // the resilience pipeline owns timeouts
        firefly.AddResilienceHandler("kiln", (p, ctx) => ConfigureResilience(p, Opts(ctx.ServiceProvider, name), ctx.ServiceProvider));
        firefly.AddHttpMessageHandler(sp => new KilnAuthHandler(Provider(sp), Opts(sp, name)));
        var console = services.AddHttpClient("Kiln.Console" + suffix, c => c.Timeout = Timeout.InfiniteTimeSpan);
        console.AddResilienceHandler("kiln", (p, ctx) => ConfigureResilience(p, Opts(ctx.ServiceProvider, name), ctx.ServiceProvider));
        console.AddHttpMessageHandler(sp => new KilnAuthHandler(Provider(sp), Opts(sp, name)));
        var device = services.AddHttpClient("Kiln.DeviceFlow" + suffix);

        FireflyClient NewFirefly(IServiceProvider sp) => new(sp.GetRequiredService<IHttpClientFactory>().CreateClient(firefly.Name), Opts(sp, name),
            sp.GetService<ILoggerFactory>()?.CreateLogger<FireflyClient>());
        ConsoleClient NewConsole(IServiceProvider sp) => new(sp.GetRequiredService<IHttpClientFactory>().CreateClient(console.Name), Opts(sp, name));
        DeviceFlowClient NewDevice(IServiceProvider sp) => new(sp.GetRequiredService<IHttpClientFactory>().CreateClient(device.Name), Opts(sp, name));
        SecretRotator NewRotator(IServiceProvider sp) => new(
            isDefault ? sp.GetRequiredService<ConsoleClient>() : sp.GetRequiredKeyedService<ConsoleClient>(name), Provider(sp), Opts(sp, name),
            sp.GetService<ILoggerFactory>()?.CreateLogger<SecretRotator>());
        if (isDefault)
        {
            services.TryAddTransient(NewFirefly);
            services.TryAddTransient(NewConsole);
            services.TryAddTransient(NewDevice);
            services.TryAddTransient(NewRotator);
            services.TryAddTransient(sp => new KilnAuthHandler(Provider(sp), Opts(sp, name)));
        }
        else
        {
            services.TryAddKeyedTransient(name, (sp, _) => NewFirefly(sp));
            services.TryAddKeyedTransient(name, (sp, _) => NewConsole(sp));
            services.TryAddKeyedTransient(name, (sp, _) => NewDevice(sp));
            services.TryAddKeyedTransient(name, (sp, _) => NewRotator(sp));
        }
        return new KilnClientBuilder(name, services, ims, firefly, console);
    }

    private static void ConfigureResilience(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, KilnClientOptions options, IServiceProvider sp)
    {
        var log = sp.GetService<ILoggerFactory>()?.CreateLogger("Kiln.Client.Resilience");
        pipeline.AddTimeout(options.TotalRequestTimeout);
        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = 3,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(500),
            ShouldRetryAfterHeader = true,
            ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Context, args.Outcome)),
            DelayGenerator = args => ValueTask.FromResult(args.Outcome.Exception is KilnAuthenticationException { RetryAfter: { } ra } ? ra : (TimeSpan?)null),
            OnRetry = args =>
            {
                if (log is not null)
                {
                    var req = args.Context.GetRequestMessage();
                    var outcome = args.Outcome.Exception is { } e ? $"{e.GetType().Name}: {e.Message}" : $"HTTP {(int?)args.Outcome.Result?.StatusCode}";
                    Log.Retrying(log, req?.Method.Method ?? "?", req?.RequestUri?.AbsolutePath ?? "?", args.AttemptNumber + 1, args.RetryDelay, outcome);
                }
                return ValueTask.CompletedTask;
            },
        });
        pipeline.AddTimeout(options.RequestTimeout);
    }

    private static bool ShouldRetry(ResilienceContext context, Outcome<HttpResponseMessage> outcome)
    {
        // A token failure is retried only when it is temporary (IMS unreachable, 429, 5xx), after the provider's backoff.
        if (outcome.Exception is KilnAuthenticationException auth) return auth.IsTransient;
        // Nothing was sent when the connection could not be made: safe for any method.
        if (outcome.Exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError }) return true;
        var method = context.GetRequestMessage()?.Method;
        if (method == HttpMethod.Post || method == HttpMethod.Patch)
            return outcome.Result?.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;
        return HttpClientResiliencePredicates.IsTransient(outcome);
    }

    /// <summary>
    /// The Kiln pipelines' Polly events a step quieter (docs/client.md#logging-and-tracing): no Information line for every
    /// request, and retries logged once by the library (<c>Kiln.Client.Resilience</c>) without a stack trace.
    /// </summary>
    private sealed class QuietResilienceTelemetry : IConfigureOptions<TelemetryOptions>
    {
        public void Configure(TelemetryOptions options)
        {
            var inner = options.SeverityProvider;
            options.SeverityProvider = args =>
            {
                if (args.Source.PipelineName?.StartsWith("Kiln.", StringComparison.Ordinal) == true)
                    return args.Event.EventName is "OnRetry" or "ExecutionAttempt" or "PipelineExecuting" or "PipelineExecuted" ? ResilienceEventSeverity.Debug : args.Event.Severity;
                return inner is null ? args.Event.Severity : inner(args);
            };
        }
    }
}
