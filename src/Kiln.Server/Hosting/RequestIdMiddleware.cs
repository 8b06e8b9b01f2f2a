namespace Kiln.Server.Hosting;

/// <summary>Every response carries <c>x-request-id</c>: the client's own when it sent a sane one (docs/identity.md#json-bodies-and-x-request-id).</summary>
public static class RequestIdMiddleware
{
    public const string Header = "x-request-id";

    public static IApplicationBuilder UseRequestId(this IApplicationBuilder app) => app.Use((ctx, next) =>
    {
        var id = ctx.Request.Headers[Header].ToString();
        if (id.Length is 0 or > 128 || !id.All(c => c is >= '!' and <= '~'))
            id = Guid.NewGuid().ToString("N");
        ctx.TraceIdentifier = id;
        ctx.Response.Headers[Header] = id;
        return next(ctx);
    });
}
