using Kiln.Server.Ims;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Security;

/// <summary>Who a route is for: the group its gate and handler put it in.</summary>
public enum Access
{
    /// <summary>Console REST (adobeio_api): users by role, I/O Management credentials as developers.</summary>
    Console,
    /// <summary>Console REST for org admins only (members).</summary>
    ConsoleAdmin,
    /// <summary>Client secrets (read_client_secret / manage_client_secrets).</summary>
    Secrets,
    /// <summary>Firefly image API (firefly_api): credentials only.</summary>
    Firefly,
    /// <summary>The web console (cookie sessions, antiforgery): no bearer tokens; covered by Kiln.E2E.Tests/SecurityTests.</summary>
    WebUi,
}

/// <summary>One classified route and the body the matrix sends it (<c>{u}</c> becomes a fresh suffix).</summary>
/// <remarks><see cref="Reference"/>: a body that names an upload (<c>{uploadId}</c>), for the cross-org check of ids in bodies.</remarks>
public sealed record RouteSpec(string Method, string Pattern, Access Access, string? Body = null, string? Reference = null)
{
    public string Key => $"{Method} {Pattern}";

    public IEnumerable<string> Parameters => System.Text.RegularExpressions.Regex.Matches(Pattern, @"\{\*{0,2}(\w+)\}").Select(m => m.Groups[1].Value);

    public override string ToString() => Key;
}

/// <summary>
/// Every Console and Firefly route, classified by hand. <see cref="Compare"/> lists the app's routes that are missing
/// here (and entries here that the app no longer has), so a new route fails the matrix until someone decides who may call it.
/// </summary>
public static class RouteCatalog
{
    private const string Org = "/console/organizations/{orgId}";
    private const string Project = Org + "/projects/{projectId}";
    private const string Workspace = Project + "/workspaces/{workspaceId}";
    private const string OrgCredential = Org + "/credentials/oauth-server-to-server/{credentialId}";
    private const string NewCredential = """{"name":"c{u}","description":"matrix"}""";
    private const string Service = """{"sdkCode":"FireflyAPI","licenseConfigs":null,"roles":null}""";

    private const string Upload = """{"source":{"uploadId":"{uploadId}"}}""";

    /// <summary>Each image operation with a valid body whose input is an upload.</summary>
    private static readonly Dictionary<string, string> ImageOperations = new()
    {
        ["generate"] = """{"prompt":"a cat","size":{"width":1024,"height":1024},"style":{"imageReference":""" + Upload + "}}",
        ["generate-similar"] = """{"image":""" + Upload + "}",
        ["expand"] = """{"image":""" + Upload + ""","size":{"width":1024,"height":1024}}""",
        ["fill"] = """{"image":""" + Upload + ""","mask":""" + Upload + ""","size":{"width":1024,"height":1024}}""",
        ["generate-object-composite"] = """{"prompt":"a cat","image":""" + Upload + "}",
    };

    public static readonly IReadOnlyList<RouteSpec> All =
    [
        new("GET", "/console/organizations", Access.Console),
        new("GET", Org + "/services", Access.Console),
        new("GET", Org + "/audit", Access.Console),
        new("GET", Org + "/projects", Access.Console),
        new("POST", Org + "/projects", Access.Console, """{"name":"p{u}","title":"Matrix","description":"d","type":"default"}"""),
        new("GET", Project, Access.Console),
        new("PATCH", Project, Access.Console, """{"name":"p{u}","title":"Matrix"}"""),
        new("DELETE", Project, Access.Console),
        new("GET", Project + "/workspaces", Access.Console),
        new("POST", Project + "/workspaces", Access.Console, """{"name":"w{u}","description":"d"}"""),
        new("GET", Workspace, Access.Console),
        new("PATCH", Workspace, Access.Console, """{"name":"w{u}"}"""),
        new("DELETE", Workspace, Access.Console),
        new("GET", Workspace + "/download", Access.Console),
        new("GET", Workspace + "/credentials", Access.Console),
        new("POST", Workspace + "/credentials/oauth-server-to-server", Access.Console, NewCredential),
        new("DELETE", Workspace + "/credentials/{credentialId}", Access.Console),
        new("PUT", Workspace + "/credentials/{credentialType}/{credentialId}/services", Access.Console, "[" + Service + "]"),
        new("POST", Org + "/credentials/oauth-server-to-server", Access.Console, NewCredential),
        new("PUT", OrgCredential + "/services", Access.Console, "[" + Service + "]"),
        new("PATCH", OrgCredential + "/service/subscribe", Access.Console, Service),
        new("PATCH", OrgCredential + "/service/unsubscribe", Access.Console, Service),
        new("GET", "/console/clients/{clientId}/credential", Access.Console),
        new("GET", Org + "/projects_workspaces/credentials/{credentialId}", Access.Console),
        new("GET", Org + "/integrations/{intId}", Access.Console),
        new("PATCH", Org + "/integrations/{intId}", Access.Console, """{"description":"matrix {u}"}"""),
        new("GET", Project + "/download", Access.Console),
        new("GET", Org + "/members", Access.ConsoleAdmin),
        new("POST", Org + "/members", Access.ConsoleAdmin, """{"email":"m{u}@example.com","role":"developer"}"""),
        new("PATCH", Org + "/members/{userId}", Access.ConsoleAdmin, """{"role":"developer"}"""),
        new("DELETE", Org + "/members/{userId}", Access.ConsoleAdmin),
        new("GET", Org + "/upstreams", Access.Console),
        new("POST", Org + "/upstreams", Access.ConsoleAdmin, """{"name":"u{u}","clientId":"matrix","clientSecret":"s","imsBaseUrl":"http://127.0.0.1:9","fireflyBaseUrl":"http://127.0.0.1:9"}"""),
        new("DELETE", Org + "/upstreams/{upstream}", Access.ConsoleAdmin),
        new("POST", Org + "/upstreams/{upstream}/test", Access.ConsoleAdmin),
        new("POST", Org + "/upstreams/{upstream}/rotate", Access.ConsoleAdmin),
        new("GET", Org + "/engine", Access.Console),
        new("PUT", Org + "/engine", Access.ConsoleAdmin, """{"engine":"procedural"}"""),
        new("GET", Project + "/engine", Access.Console),
        new("PUT", Project + "/engine", Access.ConsoleAdmin, """{"engine":null}"""),
        new("GET", Org + "/quotas", Access.Console),
        new("PUT", Org + "/quotas", Access.ConsoleAdmin, """{"per_month":1000000000}"""),
        new("GET", Project + "/quotas", Access.Console),
        new("PUT", Project + "/quotas", Access.ConsoleAdmin, """{"per_day":1000000}"""),
        new("GET", Org + "/credentials/{credentialId}/quotas", Access.Console),
        new("PUT", Org + "/credentials/{credentialId}/quotas", Access.ConsoleAdmin, """{"per_minute":1000000}"""),
        new("GET", Org + "/usage", Access.Console),
        new("GET", Project + "/usage", Access.Console),
        new("GET", Org + "/credentials/{credentialId}/secrets", Access.Secrets),
        new("POST", Org + "/credentials/{credentialId}/secrets", Access.Secrets),
        new("DELETE", Org + "/credentials/{credentialId}/secrets/{uuid}", Access.Secrets),
        .. ImageOperations.SelectMany(op => new RouteSpec[]
        {
            new("POST", "/v3/images/" + op.Key, Access.Firefly, "{}", op.Value), new("POST", "/v3/images/" + op.Key + "-async", Access.Firefly, "{}", op.Value),
        }),
        new("GET", "/v3/status/{jobId}", Access.Firefly),
        new("PUT", "/v3/cancel/{jobId}", Access.Firefly),
        new("POST", "/v2/storage/image", Access.Firefly, "png"),
        .. WebUi(),
    ];

    /// <summary>The web console's pages and forms under /console (each GET page has a POST form handler).</summary>
    private static IEnumerable<RouteSpec> WebUi()
    {
        const string P = "/console/projects/{OrgId}/{ProjectId}";
        string[] pages = ["/console", "/console/device", "/console/login", "/console/audit/{OrgId}", "/console/engines/{OrgId}", "/console/members/{OrgId}", "/console/members/{OrgId}/{MemberId}/remove",
            "/console/projects/{OrgId}", P + "/credentials/{CredentialId}/details/oauthservertoserver", P + "/credentials/{CredentialId}/secrets/{Uuid}/delete",
            P + "/delete", P + "/overview", P + "/usage", P + "/audit", "/console/usage/{OrgId}", P + "/credentials", P + "/apis", P + "/credentials/{CredentialId}/delete",
            P + "/workspaces/{WorkspaceId}", P + "/workspaces/{WorkspaceId}/delete"];
        foreach (var page in pages)
        {
            yield return new("GET", page, Access.WebUi);
            yield return new("POST", page, Access.WebUi, "");
        }
        yield return new("GET", "/console/assets/{name}", Access.WebUi);
        yield return new("POST", "/console/logout", Access.WebUi, "");
        yield return new("GET", "/console/audit/{orgId}/export.csv", Access.WebUi);
        yield return new("POST", P + "/download", Access.WebUi, "");
    }

    /// <summary>The app's routes in scope: everything behind the IMS gate, and everything under /console, /v2 and /v3.</summary>
    public static List<string> AppRoutes(IServiceProvider services) =>
        services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Order != int.MaxValue) // fallbacks answer only URLs that match no route: the not-found pages
            .Where(e => e.Metadata.GetMetadata<ImsGateMetadata>() is not null || InScope(e.RoutePattern.RawText ?? ""))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => $"{m} {Normalize(e.RoutePattern.RawText!)}"))
            .Distinct().Order(StringComparer.Ordinal).ToList();

    private static bool InScope(string pattern) =>
        pattern.StartsWith("/console", StringComparison.Ordinal) || pattern.StartsWith("/v2/", StringComparison.Ordinal) || pattern.StartsWith("/v3/", StringComparison.Ordinal);

    private static string Normalize(string pattern) => pattern.Length > 1 ? pattern.TrimEnd('/') : pattern;

    /// <summary>Routes the app has and nobody classified, then classified routes the app no longer has.</summary>
    public static (List<string> Unclassified, List<string> Stale) Compare(IServiceProvider services)
    {
        var app = AppRoutes(services);
        var known = All.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        return (app.Where(r => !known.Contains(r)).ToList(), known.Where(r => !app.Contains(r)).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>The pattern with each <c>{name}</c> replaced from <paramref name="values"/>.</summary>
    public static string Fill(string pattern, IReadOnlyDictionary<string, string> values) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\*{0,2}(\w+)\}", m => values.TryGetValue(m.Groups[1].Value, out var v)
            ? Uri.EscapeDataString(v).Replace("%3A", ":", StringComparison.Ordinal)
            : throw new InvalidOperationException($"no value for {{{m.Groups[1].Value}}} in {pattern}"));
}
