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
        return app.Use((ctx, next) =>
            ctx.GetEndpoint() is { } endpoint && endpoint.Metadata.GetMetadata<ImsGateMetadata>() is not null
                ? GateAsync(ctx, endpoint, validator, next)
                : next(ctx));
    }

    private static async Task GateAsync(HttpContext ctx, Endpoint endpoint, TokenValidator validator, RequestDelegate next)
    {
        var (caller, _) = await validator.ValidateAsync(ImsApi.BearerOf(ctx), ctx.RequestAborted);
        if (caller is null)
        {
            await ApiErrors.TokenInvalid().ExecuteAsync(ctx);
            return;
        }
        var apiKey = ctx.Request.Headers["x-api-key"].ToString();
        if (apiKey.Length == 0)
        {
            await ApiErrors.ApiKeyMissing().ExecuteAsync(ctx);
            return;
        }
        if (!string.Equals(apiKey, caller.ClientId, StringComparison.Ordinal))
        {
            await ApiErrors.ApiKeyInvalid().ExecuteAsync(ctx);
            return;
        }
        // Every RequiredScopes on the endpoint (group and route) must be satisfied.
        foreach (var required in endpoint.Metadata.GetOrderedMetadata<RequiredScopes>())
            foreach (var scope in required.Scopes)
            {
                if (caller.HasScope(scope)) continue;
                ctx.Response.Headers["x-access-error"] = "invalid_ims_scope";
                await ApiErrors.Forbidden($"Missing required IMS scope: {scope}").ExecuteAsync(ctx);
                return;
            }
        ctx.Items[ImsCaller.ItemKey] = caller;
        await next(ctx);
    }
}
