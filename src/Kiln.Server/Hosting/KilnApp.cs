using System.Text.Json;
using Kiln.Server.Console;
using Kiln.Server.Data;
using Kiln.Server.Ims;
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
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        configure?.Invoke(builder);
        builder.Services.AddKiln(builder.Configuration);
        var app = builder.Build();
        app.UseKiln();
        return app;
    }

    public static IServiceCollection AddKiln(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<KilnOptions>().BindConfiguration(KilnOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<KilnOptions>, KilnOptions.Validator>();
        services.AddOptions<ImsOptions>().BindConfiguration(ImsOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ImsOptions>, ImsOptions.Validator>();
        services.AddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();
        services.AddSingleton<PublicUrl>();
        services.AddProblemDetails();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never);
        services.AddOpenApi();
        services.AddKilnData(config);
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);

        services.AddSingleton<SecretHasher>();
        services.AddSingleton<KeyRing>();
        services.AddSingleton<TokenIssuer>();
        services.AddSingleton<TokenValidator>();
        services.AddSingleton<CredentialCache>();
        services.AddSingleton<RevocationList>();
        services.AddSingleton<BruteForceGuard>();
        services.AddSingleton<UsageTracker>();
        services.AddSingleton<TokenService>();
        services.AddScoped<OrgAccess>();
        services.AddUsers();
        services.AddKilnWeb();

        // Order matters: the initializer must finish before the flushers start.
        services.AddHostedService<KilnInitializer>();
        services.AddSingleton<UsageFlusher>();
        services.AddHostedService(sp => sp.GetRequiredService<UsageFlusher>());
        services.AddHostedService<KeyRingRefresher>();
        return services;
    }

    public static IServiceCollection AddKilnData(this IServiceCollection services, IConfiguration config)
    {
        services.AddDbContext<KilnDb, SqliteKilnDb>((sp, o) =>
        {
            var kiln = sp.GetRequiredService<IOptions<KilnOptions>>().Value;
            var path = Path.Combine(kiln.FullDataDir, "kiln.db");
            o.UseSqlite($"Data Source={path};Foreign Keys=True;Default Timeout=30");
        });
        return services;
    }

    public static WebApplication UseKiln(this WebApplication app)
    {
        app.UseRequestId();
        app.UseExceptionHandler(e => e.Run(ctx => ApiErrors.Error(500, "runtime_error", "Internal error; see x-request-id in the server log.").ExecuteAsync(ctx)));
        app.UseStatusCodePages(async ctx =>
        {
            var r = ctx.HttpContext.Response;
            if (r.HasStarted || r.ContentLength > 0 || r.ContentType is not null || WebPaths.IsUi(ctx.HttpContext.Request.Path)) return;
            var code = r.StatusCode switch { 400 => "bad_request", 404 => "not_found", 405 => "method_not_allowed", 413 => "request_too_large", 415 => "invalid_content_type", _ => r.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            await ApiErrors.Error(r.StatusCode, code, ReasonPhrase(r.StatusCode)).ExecuteAsync(ctx.HttpContext);
        });
        app.UseRouting();
        app.UseKilnWeb();
        app.UseImsGate();

        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapScalarApiReference("/docs", o => o.WithTitle("Kiln API").WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteHealth });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready"), ResponseWriter = WriteHealth });

        app.MapIms();
        app.MapSecrets();
        app.MapAudit();
        app.MapUsers();
        app.MapConsole();
        return app;
    }

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
