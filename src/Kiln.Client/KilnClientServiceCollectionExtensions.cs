using System.Net;
using Kiln.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The HTTP clients <see cref="KilnClientServiceCollectionExtensions.AddKilnClient"/> registered, for adding handlers.</summary>
/// <param name="Services">The service collection.</param>
/// <param name="Ims">The token-request client (<see cref="ServerToServerTokenProvider.HttpClientName"/>).</param>
/// <param name="Firefly">The <see cref="FireflyClient"/> typed client.</param>
/// <param name="Console">The <see cref="ConsoleClient"/> typed client.</param>
public sealed record KilnClientBuilder(IServiceCollection Services, IHttpClientBuilder Ims, IHttpClientBuilder Firefly, IHttpClientBuilder Console);

/// <summary>Registers the Kiln client: token provider, auth handler and typed Firefly and Console clients.</summary>
public static class KilnClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ServerToServerTokenProvider"/>, <see cref="KilnAuthHandler"/>, <see cref="FireflyClient"/>,
    /// <see cref="ConsoleClient"/> and <see cref="SecretRotator"/>. Parts registered before this call win (TryAdd).
    /// Resilience: retries with jittered exponential backoff (honouring <c>Retry-After</c>) for 408, 429, 5xx and
    /// transport errors on GET/PUT/DELETE; POST is retried only on 429 and 503, which mean "not processed",
    /// so a timed-out generate or secret-add is never sent twice.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    public static KilnClientBuilder AddKilnClient(this IServiceCollection services, Action<KilnClientOptions> configure)
    {
        services.AddOptions<KilnClientOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KilnClientOptions>, KilnClientOptions.Validator>());
        var ims = services.AddHttpClient(ServerToServerTokenProvider.HttpClientName);
        services.TryAddSingleton<ServerToServerTokenProvider>();
        services.TryAddTransient<KilnAuthHandler>();
        services.TryAddTransient<SecretRotator>();
        var firefly = services.AddHttpClient<FireflyClient>((sp, c) =>
        {
            c.BaseAddress = sp.GetRequiredService<IOptions<KilnClientOptions>>().Value.FireflyBaseUrl;
            c.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline owns timeouts
        });
        firefly.AddResilienceHandler("kiln-firefly", ConfigureResilience);
        firefly.AddHttpMessageHandler<KilnAuthHandler>();
        var console = services.AddHttpClient<ConsoleClient>((sp, c) =>
        {
            c.BaseAddress = sp.GetRequiredService<IOptions<KilnClientOptions>>().Value.ConsoleBaseUrl;
            c.Timeout = Timeout.InfiniteTimeSpan;
        });
        console.AddResilienceHandler("kiln-console", ConfigureResilience);
        console.AddHttpMessageHandler<KilnAuthHandler>();
        return new KilnClientBuilder(services, ims, firefly, console);
    }

    private static void ConfigureResilience(ResiliencePipelineBuilder<HttpResponseMessage> pipeline)
    {
        pipeline.AddTimeout(TimeSpan.FromMinutes(3));
        pipeline.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = 3,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(500),
            ShouldRetryAfterHeader = true,
            ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Context, args.Outcome)),
        });
        pipeline.AddTimeout(TimeSpan.FromSeconds(100));
    }

    private static bool ShouldRetry(ResilienceContext context, Outcome<HttpResponseMessage> outcome)
    {
        if (outcome.Exception is KilnAuthenticationException) return false; // the provider already backs off
        var method = context.GetRequestMessage()?.Method;
        if (method == HttpMethod.Post || method == HttpMethod.Patch)
            return outcome.Result?.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable;
        return HttpClientResiliencePredicates.IsTransient(outcome);
    }
}
