using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Console;
using Kiln.Server.Data;
using Kiln.Server.Generation;
using Kiln.Server.Hosting.Tls;
using Kiln.Server.Hosting.Telemetry;
using Kiln.Server.Firefly;
using Kiln.Server.Ims;
using Kiln.Server.Upstream;
using Kiln.Server.Quotas;
using Kiln.Server.Users;
using Kiln.Server.Web;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Kiln.Server.Hosting;

/// <summary>Composes the features. Program.cs and <c>kiln serve</c> both build the app here.</summary>
public static class KilnApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        KilnCulture.UseInvariant();
        // Configuration is read once: a changed appsettings.json takes effect at the next start (docs/configuration.md).
        // Reloading would watch the working directory and everything under it from the first moment (the content root).
        var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        configure?.Invoke(builder);
        var data = builder.Configuration.GetSection(KilnOptions.Section).Get<KilnOptions>() ?? new KilnOptions();
        DataWarmUp.Start(data.UsesPostgres, data.FullDataDir, data.Database);
        builder.Services.AddKiln(builder.Configuration);
        AdobeHostsSetup.Add(builder); // --adobe-hosts and --proxy-port (docs/adobe-hosts.md)
        builder.AddKilnTelemetry();
        var app = builder.Build();
        app.UseKiln();
        return app;
    }

    public static IServiceCollection AddKiln(this IServiceCollection services, IConfiguration config)
    {
        // First hosted service: migrations, keys and bootstrap finish before anything else starts
        // (data protection reads its key ring from the database, the workers claim jobs from it).
        services.AddHostedService<KilnInitializer>();
        services.AddOptions<KilnOptions>().BindConfiguration(KilnOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<KilnOptions>, KilnOptions.Validator>();
        services.AddOptions<ImsOptions>().BindConfiguration(ImsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ImsOptions>, ImsOptions.Validator>();
        services.AddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();
        services.AddSingleton<PublicUrl>();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never);
        services.AddOpenApi();
        services.AddKilnData();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);

        services.AddSingleton<ClusterNotifier>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterNotifier>());
        services.AddUsers();
        services.AddIms();
        services.AddConsole();
        services.AddQuotas();
        services.AddGeneration();
        services.AddKilnWeb();

        // Background services (after the initializer, registered first above).
        services.AddImsBackground();
        services.AddFirefly();
        services.AddUpstream();
        return services;
    }

    /// <summary>
    /// SQLite under the data dir by default; PostgreSQL when Kiln:Database is a connection string. The choice is made
    /// when the first context is resolved, from the bound options, so every configuration source counts.
    /// </summary>
    public static IServiceCollection AddKilnData(this IServiceCollection services)
    {
        services.AddSingleton<KeyEncryption>(); // loaded by KilnInitializer.PrepareData before anything opens a key
        // The compiled models (docs/architecture.md#compiled-models): EF Core does not build the model on every start.
        // Pooled contexts (docs/architecture.md#pooled-contexts): a request or job step leases one instead of building
        // a context, its options and EF Core's internal services each time.
        services.AddDbContextPool<SqliteKilnDb>((sp, o) => KilnDbOptions.Sqlite(o, sp.GetRequiredService<IOptions<KilnOptions>>().Value.FullDataDir));
        services.AddDbContextPool<PostgresKilnDb>((sp, o) => KilnDbOptions.Postgres(o, sp.GetRequiredService<IOptions<KilnOptions>>().Value.Database));
        services.AddScoped<KilnDb>(sp => sp.GetRequiredService<IOptions<KilnOptions>>().Value.UsesPostgres
            ? sp.GetRequiredService<PostgresKilnDb>()
            : sp.GetRequiredService<SqliteKilnDb>());
        return services;
    }

    public static WebApplication UseKiln(this WebApplication app)
    {
        app.UseAdobeHosts();
        app.UseRequestId();
        app.UseExceptionHandler(e => e.Run(ctx =>
        {
            // Binding failures (bad query values, unreadable bodies) are the client's fault: 400, never 500.
            var error = ctx.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error;
            // The database or disk is down or full: 503 + Retry-After, and Kiln recovers by itself when it clears.
            if (Outages.IsOutage(error)) return Outages.WriteAsync(ctx, error!);
            return (error is BadHttpRequestException bad
                ? ApiErrors.Error(bad.StatusCode, bad.StatusCode == 413 ? "request_too_large" : "bad_request", bad.Message)
                : ApiErrors.Error(500, "runtime_error", "Internal error; see x-request-id in the server log.")).ExecuteAsync(ctx);
        }));
        app.UseStatusCodePages(async ctx =>
        {
            var r = ctx.HttpContext.Response;
            if (r.HasStarted || r.ContentLength > 0 || r.ContentType is not null || ErrorDialects.Of(ctx.HttpContext) == ErrorDialect.Html) return;
            var code = r.StatusCode switch { 400 => "bad_request", 404 => "not_found", 405 => "method_not_allowed", 413 => "request_too_large", 415 => "invalid_content_type", _ => r.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            await ApiErrors.Error(r.StatusCode, code, ReasonPhrase(r.StatusCode)).ExecuteAsync(ctx.HttpContext);
        });
        app.UseRouting();
        app.UseKilnWeb();
        app.UseImsGate();

        // Only the one document Kiln has: any other name is a routing 404 with the JSON error body, not the
        // OpenAPI middleware's text/plain one (found by the endpoint fuzz).
        app.MapOpenApi("/openapi/{documentName:regex(^v1$)}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Kiln API").WithOpenApiRoutePattern("/openapi/{documentName}.json").DisableDefaultFonts())
            .Add(b => b.RequestDelegate = WithDocsPolicy(b.RequestDelegate));
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealth });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteHealth });

        app.MapIms().WithErrorDialect(ErrorDialect.OAuth);
        app.MapSecrets().WithErrorDialect(ErrorDialect.Gateway);
        app.MapAudit().WithErrorDialect(ErrorDialect.Gateway);
        app.MapConsole().WithErrorDialect(ErrorDialect.Gateway);
        app.MapFirefly();
        app.MapUpstream();
        return app;
    }

    /// <summary>
    /// The API reference page's Content-Security-Policy (docs/security.md): its own script and the OpenAPI document
    /// only, nothing from elsewhere, never framed. Scalar configures itself with an inline script and inline styles.
    /// </summary>
    internal const string DocsPolicy = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static RequestDelegate? WithDocsPolicy(RequestDelegate? inner) => inner is null ? null : ctx =>
    {
        ctx.Response.Headers.ContentSecurityPolicy = DocsPolicy;
        ctx.Response.Headers.XContentTypeOptions = "nosniff";
        return inner(ctx);
    };

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } p ? p : "Error";

    private static Task WriteHealth(HttpContext ctx, HealthReport report)
    {
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync(JsonSerializer.Serialize(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }));
    }
}

public sealed class DatabaseHealthCheck(KilnDb db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            return await db.Database.CanConnectAsync(ct) ? HealthCheckResult.Healthy("database reachable") : HealthCheckResult.Unhealthy("database unreachable");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy("database unreachable: " + e.GetType().Name);
        }
    }
}
