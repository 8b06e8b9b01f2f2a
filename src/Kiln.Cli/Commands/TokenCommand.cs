using System.CommandLine;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln token</c>: prints an access token, for <c>export FIREFLY_SERVICES_ACCESS_TOKEN=$(kiln token)</c>.</summary>
public static class TokenCommand
{
    public static Command Create()
    {
        var scopes = new Option<string?>("--scopes") { Description = "Comma-separated scopes (default: the profile's, else firefly_api,ff_apis)" };
        var cmd = new Command("token", "Print an access token (--json: the whole token response)") { scopes };
        cmd.WithCommon();
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var requested = parse.GetValue(scopes);
            var result = await ctx.Tokens.TryGetTokenAsync(requested, ct);
            if (!result.IsSuccess)
            {
                System.Console.Error.WriteLine($"kiln: token request failed: {result.Error}: {result.ErrorDescription}"
                    + (result.RetryAfter is { } ra && result.Error == "too_many_requests" ? $" (retry after {ra.TotalSeconds:0}s)" : ""));
                return CliContext.ApiError;
            }
            if (ctx.Json)
            {
                var left = result.ExpiresAt == DateTimeOffset.MaxValue ? (long?)null : (long)(result.ExpiresAt - TimeProvider.System.GetUtcNow()).TotalSeconds;
                ctx.WriteJson(new Dictionary<string, object?> { ["access_token"] = result.AccessToken, ["token_type"] = "bearer", ["expires_in"] = left });
            }
            else System.Console.Out.WriteLine(result.AccessToken);
            return CliContext.Ok;
        }, ct));
        return cmd;
    }
}
