using System.Diagnostics;

namespace Kiln.Server.Hosting;

/// <summary>
/// Every response carries <c>x-request-id</c>: the client's own when it sent a sane one (docs/identity.md#json-bodies-and-x-request-id),
/// otherwise the request's W3C trace id (32 hex digits), so the id a client reports finds the trace and the log lines
/// (docs/operations.md#traces). <c>traceresponse</c> always names the trace, whichever id was answered.
/// </summary>
public static class RequestIdMiddleware
{
    public const string Header = "x-request-id";
    public const string TraceResponse = "traceresponse";

    public static IApplicationBuilder UseRequestId(this IApplicationBuilder app) => app.Use((ctx, next) =>
    {
        var id = ctx.Request.Headers[Header].ToString();
        var activity = Activity.Current;
        if (id.Length is 0 or > 128 || !id.All(c => c is >= '!' and <= '~'))
            id = activity is { IdFormat: ActivityIdFormat.W3C } ? activity.TraceId.ToHexString() : Guid.NewGuid().ToString("N");
        ctx.TraceIdentifier = id;
        ctx.Response.Headers[Header] = id;
        if (activity is { IdFormat: ActivityIdFormat.W3C })
            ctx.Response.Headers[TraceResponse] = $"00-{activity.TraceId.ToHexString()}-{activity.SpanId.ToHexString()}-{(activity.Recorded ? "01" : "00")}";
        return next(ctx);
    });
}
