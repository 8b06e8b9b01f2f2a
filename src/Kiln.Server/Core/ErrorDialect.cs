using Microsoft.AspNetCore.Diagnostics;

namespace Kiln.Server.Core;

/// <summary>
/// The error format a route group speaks, declared on the group as endpoint metadata. The exception handler and the
/// status-code pages read it from the endpoint, never from the request path. A request that matched no endpoint gets
/// <see cref="Gateway"/>.
/// </summary>
public enum ErrorDialect
{
    /// <summary><c>{"error_code","message"}</c>, the adobe.io gateway shape: the Console API and Kiln's own routes.</summary>
    Gateway,
    /// <summary>RFC 6749 <c>{"error","error_description"}</c>: <c>/ims</c>.</summary>
    OAuth,
    /// <summary>Firefly's sync image calls and uploads: <c>{"error_code","message"}</c>, whose only 503 code is <c>model_not_loaded</c>.</summary>
    Firefly,
    /// <summary>Firefly's async submit, status and cancel: the async error enum, whose outage code is <c>runtime_error</c>.</summary>
    FireflyJobs,
    /// <summary>The console UI: HTML pages, with the UI's security headers.</summary>
    Html,
}

/// <summary>
/// The metadata that carries an endpoint's <see cref="ErrorDialect"/>: added to route groups with
/// <see cref="ErrorDialects.WithErrorDialect{TBuilder}"/>, or put on Razor pages as an attribute.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ErrorDialectAttribute(ErrorDialect dialect) : Attribute
{
    public ErrorDialect Dialect { get; } = dialect;
}

public static class ErrorDialects
{
    /// <summary>Declares the error format of a group or endpoint (an endpoint's own declaration wins over its group's).</summary>
    public static TBuilder WithErrorDialect<TBuilder>(this TBuilder builder, ErrorDialect dialect) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ErrorDialectAttribute(dialect));

    public static ErrorDialect Of(Endpoint? endpoint) =>
        endpoint?.Metadata.GetMetadata<ErrorDialectAttribute>()?.Dialect ?? ErrorDialect.Gateway;

    /// <summary>The dialect of the endpoint that is handling (or, in the exception handler, failed) this request.</summary>
    public static ErrorDialect Of(HttpContext ctx) =>
        Of(ctx.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? ctx.GetEndpoint());
}
