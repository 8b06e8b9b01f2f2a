using Kiln.Server.Core;

namespace Kiln.Server.Ims;

/// <summary>Endpoint metadata: this route needs a valid IMS bearer token, a matching x-api-key and these scopes.</summary>
public sealed class ImsGateMetadata;

public sealed record RequiredScopes(IReadOnlyList<string> Scopes);

/// <summary>
/// The one gate for resource APIs (docs/identity.md#the-gate-for-resource-apis). It runs after routing and before model binding,
/// so nothing about a request is parsed until its caller is known.
/// </summary>
public static class ImsGate
{
    public static TBuilder RequireIms<TBuilder>(this TBuilder builder, params string[] scopes) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new ImsGateMetadata());
        if (scopes.Length > 0) builder.WithMetadata(new RequiredScopes(scopes));
        return builder;
    }

    public static TBuilder RequireScopes<TBuilder>(this TBuilder builder, params string[] scopes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredScopes(scopes));

    public static IApplicationBuilder UseImsGate(this IApplicationBuilder app)
    {
        var validator = app.ApplicationServices.GetRequiredService<TokenValidator>();
        var metrics = app.ApplicationServices.GetRequiredService<KilnMetrics>();
        return app.Use((ctx, next) =>
            ctx.GetEndpoint() is { } endpoint && endpoint.Metadata.GetMetadata<ImsGateMetadata>() is not null
                ? GateAsync(ctx, endpoint, validator, metrics, next)
                : next(ctx));
    }

    private static async Task GateAsync(HttpContext ctx, Endpoint endpoint, TokenValidator validator, KilnMetrics metrics, RequestDelegate next)
    {
        ImsCaller? caller;
        var request = System.Diagnostics.Activity.Current; // ASP.NET Core's span for the request
        // The span "kiln.ims.gate" covers the decision only; the handler runs after it ends (docs/operations.md#traces).
        using (var span = KilnTelemetry.Start("kiln.ims.gate"))
        {
            var (decision, refusal, passed) = await DecideAsync(ctx, endpoint, validator);
            metrics.GateDecision(decision);
            if (passed is not null)
            {
                span?.SetTag(KilnTelemetry.OrgId, passed.OrgId);
                span?.SetTag(KilnTelemetry.ClientId, passed.ClientId);
                // The request's own span carries them too, so a trace of any gated call says whose it was.
                request?.SetTag(KilnTelemetry.OrgId, passed.OrgId);
                request?.SetTag(KilnTelemetry.ClientId, passed.ClientId);
            }
            if (refusal is not null)
            {
                span.Fail(decision);
                await refusal.ExecuteAsync(ctx);
                return;
            }
            caller = passed!;
        }
        ctx.Items[ImsCaller.ItemKey] = caller;
        await next(ctx);
    }

    /// <summary>The gate's decision (a bounded label for the metrics), the answer for a refusal, and the caller.</summary>
    private static async Task<(string Decision, IResult? Refusal, ImsCaller? Caller)> DecideAsync(HttpContext ctx, Endpoint endpoint, TokenValidator validator)
    {
        var (caller, _) = await validator.ValidateAsync(ImsApi.BearerOf(ctx), ctx.RequestAborted);
        if (caller is null) return ("token_invalid", ApiErrors.TokenInvalid(), null);
        var apiKey = ctx.Request.Headers["x-api-key"].ToString();
        if (apiKey.Length == 0) return ("api_key_missing", ApiErrors.ApiKeyMissing(), caller);
        if (!string.Equals(apiKey, caller.ClientId, StringComparison.Ordinal)) return ("api_key_invalid", ApiErrors.ApiKeyInvalid(), caller);
        // Every RequiredScopes on the endpoint (group and route) must be satisfied.
        foreach (var required in endpoint.Metadata.GetOrderedMetadata<RequiredScopes>())
            foreach (var scope in required.Scopes)
            {
                if (caller.HasScope(scope)) continue;
                ctx.Response.Headers["x-access-error"] = "invalid_ims_scope";
                return ("scope_missing", ApiErrors.Forbidden($"Missing required IMS scope: {scope}"), caller);
            }
        return ("allowed", null, caller);
    }
}
