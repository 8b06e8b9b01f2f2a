using System.CommandLine;
using Kiln.Client;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln login</c> (device flow; stores the user token in the profile) and <c>kiln logout</c>.</summary>
public static class LoginCommand
{
    /// <summary>The public client id the CLI signs people in with, unless --client-id says otherwise.</summary>
    public const string CliClientId = "kiln-cli";

    public static Command Login()
    {
        var scopes = new Option<string?>("--scopes") { Description = "Scopes to ask for (default: AdobeID,openid,read_organizations,adobeio_api)" };
        var cmd = new Command("login", "Sign in as a person (device flow) and keep the token in the profile") { scopes };
        cmd.WithCommon();
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var baseUrl = ctx.BaseUrl is { } b && Uri.TryCreate(b, UriKind.Absolute, out var u) ? u : new Uri(KilnClientOptions.AdobeImsBaseUrl);
            var clientId = parse.GetValue(CliOptions.ClientId) ?? CliClientId;
            using var http = new HttpClient();
            var flow = new DeviceFlowClient(http, new KilnClientOptions().UseKiln(baseUrl));
            var code = await flow.RequestCodeAsync(clientId, parse.GetValue(scopes) ?? "AdobeID,openid,read_organizations,adobeio_api", ct);
            System.Console.Error.WriteLine($"Open {code.VerificationUriComplete ?? code.VerificationUri} and enter the code {code.UserCode}");
            var token = await flow.WaitForTokenAsync(clientId, code, ct);
            if (!token.IsSuccess)
            {
                System.Console.Error.WriteLine($"kiln: sign-in failed: {token.Error}: {token.ErrorDescription}");
                return CliContext.ApiError;
            }
            var profile = (ctx.Profile ?? new CliProfile()) with
            {
                BaseUrl = ctx.BaseUrl ?? ctx.Profile?.BaseUrl, ClientId = ctx.Profile?.ClientId ?? clientId,
                AccessToken = token.AccessToken, AccessTokenExpiresAt = token.ExpiresAt.ToUnixTimeMilliseconds(),
            };
            var path = await CliProfile.SaveAsync(ctx.ProfileName, profile, ct);
            if (ctx.Json) ctx.WriteJson(new { profile = ctx.ProfileName, path, expires_at = profile.AccessTokenExpiresAt });
            else System.Console.Out.WriteLine($"Signed in; the token is stored in profile '{ctx.ProfileName}' ({path}).");
            return CliContext.Ok;
        }, ct));
        return cmd;
    }

    public static Command Logout()
    {
        var cmd = new Command("logout", "Forget the signed-in user's token (and revoke it)").WithCommon();
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            if (ctx.Profile?.AccessToken is not { } token)
            {
                if (ctx.Json) ctx.WriteJson(new { signed_out = false });
                else System.Console.Out.WriteLine("Not signed in.");
                return CliContext.Ok;
            }
            if (ctx.BaseUrl is { } b && Uri.TryCreate(b, UriKind.Absolute, out var u))
            {
                try
                {
                    using var http = new HttpClient();
                    using var _ = await http.PostAsync(new Uri(u, "/ims/invalidate_token/v2"),
                        new FormUrlEncodedContent([new("token", token), new("token_type", "access_token")]), ct);
                }
                catch (HttpRequestException) { } // forgetting it locally is what matters
            }
            await CliProfile.SaveAsync(ctx.ProfileName, ctx.Profile with { AccessToken = null, AccessTokenExpiresAt = null }, ct);
            if (ctx.Json) ctx.WriteJson(new { signed_out = true });
            else System.Console.Out.WriteLine($"Signed out of profile '{ctx.ProfileName}'.");
            return CliContext.Ok;
        }, ct));
        return cmd;
    }
}
