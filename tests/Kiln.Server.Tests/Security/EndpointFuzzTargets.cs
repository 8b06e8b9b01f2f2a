using Kiln.Server.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Security;

/// <summary>One route and method to fuzz, read from the running host's endpoints.</summary>
public sealed record FuzzRoute(string Method, RoutePattern Pattern)
{
    public override string ToString() => $"{Method} {Pattern.RawText}";

    /// <summary>
    /// Every route the host serves, with every method it accepts (GET and POST when it accepts any), so a new
    /// endpoint is fuzzed without touching this code.
    /// </summary>
    public static List<FuzzRoute> All(IServiceProvider services) =>
        [.. services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"])
                .Select(m => new FuzzRoute(m, e.RoutePattern)))
            .Where(r => r.Method != "OPTIONS")
            .DistinctBy(r => r.ToString())
            .OrderBy(r => r.ToString(), StringComparer.Ordinal)];

    /// <summary>The path with each parameter either a real id (to get past lookups) or a hostile value.</summary>
    public string Path(Random r, IReadOnlyDictionary<string, string> real)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var segment in Pattern.PathSegments)
        {
            sb.Append('/');
            foreach (var part in segment.Parts)
                sb.Append(part switch
                {
                    RoutePatternLiteralPart l => l.Content,
                    RoutePatternSeparatorPart s => s.Content,
                    // Deletes never get real ids: the fuzzer must not remove what the other iterations stand on.
                    RoutePatternParameterPart p when Method != "DELETE" && real.TryGetValue(p.Name, out var v) && r.Next(3) > 0 => v,
                    RoutePatternParameterPart p when p.IsCatchAll && r.Next(2) == 0 => "a/../" + FuzzInput.PathValue(r) + "/b.png",
                    _ => FuzzInput.PathValue(r),
                });
        }
        return sb.Length == 0 ? "/" : sb.ToString();
    }
}

/// <summary>The callers the fuzzer sends as, and the real ids that let requests reach code behind the lookups.</summary>
public sealed record FuzzCallers(string CredentialToken, string CredentialKey, string UserToken, string UserKey, string UserEmail, IReadOnlyDictionary<string, string> Real)
{
    /// <summary>
    /// A caller credential with both APIs in the demo org, a user who administers that org, and a separate victim
    /// project/credential whose ids the fuzzer may use: whatever the fuzz does to them leaves the callers working.
    /// </summary>
    public static async Task<FuzzCallers> CreateAsync(KilnFactory kiln)
    {
        var org = kiln.Demo.OrgId;
        var orgId = long.Parse(org, System.Globalization.CultureInfo.InvariantCulture);
        var caller = await kiln.SeedCredentialAsync(orgId);
        var victim = await kiln.SeedCredentialAsync(orgId);
        var token = await kiln.TokenAsync(caller.ClientId, caller.Secret, KilnFactory.FireflyScopes + "," + KilnFactory.IoScopes);
        var email = $"fuzz-{Guid.NewGuid():N}@example.com";
        var userId = await Console.ConsoleKit.CreateUserAsync(kiln, email, orgId, "admin");
        var userToken = await Console.ConsoleKit.UserTokenAsync(kiln, userId, orgId);
        var ids = await Console.ConsoleKit.WithDbAsync(kiln, async (db, _) =>
            await db.Credentials.Where(c => c.Id == victim.CredentialId).Select(c => new { c.ProjectId, c.WorkspaceId }).SingleAsync());
        var (projectId, workspaceId) = (ids.ProjectId, ids.WorkspaceId);
        using var http = kiln.Authed(token, caller.ClientId);
        using var job = await http.PostAsync("/v3/images/generate-async", new StringContent(Firefly.FireflyKit.Cat, System.Text.Encoding.UTF8, "application/json"));
        var jobId = (await HttpAssert.JsonAsync(job, 202)).GetProperty("jobId").GetString()!;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var real = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["orgId"] = org, ["projectId"] = projectId.ToString(inv), ["workspaceId"] = workspaceId.ToString(inv),
            ["credentialId"] = victim.CredentialId.ToString(inv), ["intId"] = victim.CredentialId.ToString(inv), ["clientId"] = victim.ClientId,
            ["credentialType"] = "entp", ["jobId"] = jobId, ["userId"] = userId.ToString(inv), ["documentName"] = "v1", ["name"] = "site.css",
        };
        return new FuzzCallers(token, caller.ClientId, userToken, Console.ConsoleKit.Cli, email, real);
    }

    /// <summary>A client signed in to the console UI through its login form, not following redirects.</summary>
    public static async Task<HttpClient> SignedInAsync(KilnFactory kiln, string email)
    {
        var c = kiln.CreateClient(new() { AllowAutoRedirect = false, BaseAddress = kiln.BaseAddress });
        c.Timeout = TimeSpan.FromMinutes(2);
        var page = await c.GetStringAsync(Web.WebPaths.Login);
        var antiforgery = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(antiforgery);
        using var res = await c.PostFormAsync(Web.WebPaths.Login, ("_handler", "login"), ("__RequestVerificationToken", antiforgery),
            ("Input.Email", email), ("Input.Password", "password-123"));
        Assert.True((int)res.StatusCode < 400, $"console sign-in failed: {(int)res.StatusCode}");
        var home = await c.GetStringAsync(Web.WebPaths.Root);
        Assert.DoesNotContain("<title>Sign in", home, StringComparison.Ordinal);
        return c;
    }
}
