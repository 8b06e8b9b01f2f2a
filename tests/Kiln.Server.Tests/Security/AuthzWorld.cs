using System.Net.Http.Headers;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Kiln.Server.Tests.Console;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Users;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Security;

/// <summary>A caller of the matrix: a bearer token and its x-api-key, or nothing.</summary>
public sealed record Caller(string Name, string? Token, string? ApiKey, bool IsUser)
{
    public override string ToString() => Name;
}

/// <summary>The ids one org's resources answer to, by route parameter name.</summary>
public sealed record OrgResources(long OrgId, long ProjectId, long WorkspaceId, long CredentialId, string ClientId, string SecretUuid, long MemberUserId, string JobId,
    string UploadId = "", string Upstream = "")
{
    public Dictionary<string, string> Values => new(StringComparer.OrdinalIgnoreCase)
    {
        ["MemberId"] = Id(MemberUserId), ["name"] = "console.css",
        ["orgId"] = Id(OrgId), ["projectId"] = Id(ProjectId), ["workspaceId"] = Id(WorkspaceId), ["credentialId"] = Id(CredentialId),
        ["intId"] = Id(CredentialId), ["clientId"] = ClientId, ["uuid"] = SecretUuid, ["userId"] = Id(MemberUserId), ["jobId"] = JobId,
        ["credentialType"] = "oauth-server-to-server", ["uploadId"] = UploadId, ["upstream"] = Upstream,
    };

    /// <summary>Ids of the same shapes that name nothing.</summary>
    public static OrgResources Missing() => new(Ids.NewOrgId(), Ids.NewId(), Ids.NewId(), Ids.NewId(), Ids.NewHex32(), Ids.NewHex32(), Ids.NewId(),
        "urn:ff:jobs:kiln:" + Guid.NewGuid(), Guid.NewGuid().ToString());

    private static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// One Kiln with the demo org (callers: an admin user, a developer user, the demo credential with Firefly scopes only and
/// with I/O Management scopes only, nobody) and another org full of real resources that none of them may see.
/// </summary>
public sealed class AuthzWorld : IAsyncLifetime
{
    public KilnFactory Kiln { get; } = new();
    public List<Caller> Callers { get; } = [];
    public OrgResources Own { get; private set; } = null!;
    public OrgResources Other { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Kiln.Start();
        var org = Kiln.DemoOrg();
        var admin = await Kiln.CreateUserAsync("admin@matrix.test", org, Roles.Admin);
        var developer = await Kiln.CreateUserAsync("developer@matrix.test", org, Roles.Developer);
        Callers.Add(new Caller("admin-user", await Kiln.UserTokenAsync(admin, org), ConsoleKit.Cli, true));
        Callers.Add(new Caller("developer-user", await Kiln.UserTokenAsync(developer, org), ConsoleKit.Cli, true));
        Callers.Add(new Caller("credential-firefly-scopes", await Kiln.DemoTokenAsync(KilnFactory.FireflyScopes), Kiln.Demo.ClientId, false));
        Callers.Add(new Caller("credential-io-scopes", await Kiln.DemoTokenAsync(KilnFactory.IoScopes), Kiln.Demo.ClientId, false));
        Callers.Add(new Caller("no-token", null, null, false));

        Own = await ThrowawayAsync(org);
        var other = await Kiln.CreateOrgAsync("Matrix Other Org");
        Other = await ThrowawayAsync(other.OrgId);
        var theirs = Kiln.Authed(await Kiln.TokenAsync(other.ClientId, other.ClientSecret, KilnFactory.FireflyScopes), other.ClientId);
        Other = Other with { UploadId = await Firefly.FireflyKit.UploadAsync(theirs, Firefly.FireflyKit.Image(64, 64)) };
        // The other org has its own admin, so its members routes have a real member to aim at.
        await Kiln.CreateUserAsync("their-admin@matrix.test", other.OrgId, Roles.Admin);
    }

    /// <summary>A fresh project, workspace, credential (with a secret), developer member and finished job in the org.</summary>
    public Task<OrgResources> ThrowawayAsync(long orgId) => Kiln.WithDbAsync(async (db, sp) =>
    {
        var clock = sp.GetRequiredService<TimeProvider>();
        var now = clock.GetUtcNow();
        var tag = Guid.NewGuid().ToString("N")[..8];
        var project = NewEntities.NewProject(orgId, "m" + tag, "Matrix project", "test", now);
        var ws = NewEntities.NewWorkspace(orgId, project.Id, "Production", "test", now);
        var cred = NewEntities.NewCredential(orgId, project.Id, ws.Id, "Matrix credential " + tag, now);
        cred.Services.Add(new CredentialService { SdkCode = Services.Firefly, SubscribedAt = now });
        cred.Services.Add(new CredentialService { SdkCode = Services.IoManagement, SubscribedAt = now });
        sp.GetRequiredService<ClientSecrets>().AddFirst(db, cred, actor: null);
        var secret = cred.Secrets.Single();
        var (user, error) = await UserAccounts.CreateAsync(db, clock, $"member-{tag}@matrix.test", "password-123", default);
        Assert.True(user is not null, error?.Message);
        db.OrgMemberships.Add(new OrgMembership { OrgId = orgId, UserId = user.Id, Role = Roles.Developer, CreatedAt = now });
        var job = new Job
        {
            Id = "urn:ff:jobs:kiln:" + Guid.NewGuid(), OrgId = orgId, ClientId = cred.ClientId, Operation = "generate", Request = "{}",
            Status = "failed", ErrorCode = "runtime_error", Message = "matrix", CreatedAt = now, UpdatedAt = now,
        };
        // An upstream profile whose hosts refuse connections at once (test and rotate answer quickly and change nothing).
        var upstreamId = Guid.NewGuid().ToString("N");
        var upstream = new UpstreamProfile
        {
            Id = upstreamId, OrgId = orgId, Name = "m" + tag, ImsBaseUrl = "http://127.0.0.1:9", FireflyBaseUrl = "http://127.0.0.1:9", ConsoleBaseUrl = "http://127.0.0.1:9",
            ClientId = "matrix", Scopes = "firefly_api", CreatedAt = now, UpdatedAt = now,
            SecretWrapped = sp.GetRequiredService<KeyEncryption>().WrapText("matrix-secret"u8, KeysAtRest.UpstreamSecretPurpose(upstreamId)),
        };
        db.AddRange(project, ws, cred, job, upstream);
        await db.SaveChangesAsync();
        return new OrgResources(orgId, project.Id, ws.Id, cred.Id, cred.ClientId, secret.Uuid, user.Id, job.Id, Upstream: upstream.Name);
    });

    /// <summary>Sends one matrix request as <paramref name="caller"/>.</summary>
    public async Task<Answer> SendAsync(Caller caller, RouteSpec route, string path, string? json = null)
    {
        // No redirects followed (a page that sends a bearer caller to the login form must show as that redirect), no cookies.
        using var http = Kiln.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
            { BaseAddress = Kiln.BaseAddress, AllowAutoRedirect = false, HandleCookies = false });
        using var req = new HttpRequestMessage(new HttpMethod(route.Method), path);
        if (caller.Token is not null) req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", caller.Token);
        if (caller.ApiKey is not null) req.Headers.Add("x-api-key", caller.ApiKey);
        if (json is not null)
            req.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        else if (route.Body == "png")
        {
            req.Content = new ByteArrayContent(Firefly.FireflyKit.Image(8, 8));
            req.Content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        }
        else if (route.Body is not null)
            req.Content = new StringContent(route.Body.Replace("{u}", Guid.NewGuid().ToString("N")[..10], StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json");
        using var res = await http.SendAsync(req);
        var body = await res.Content.ReadAsStringAsync();
        var requestId = res.Headers.TryGetValues("x-request-id", out var ids) ? ids.FirstOrDefault() : null;
        if (requestId is { Length: > 0 }) body = body.Replace(requestId, "<request-id>", StringComparison.Ordinal);
        var accessError = res.Headers.TryGetValues("x-access-error", out var ae) ? ae.FirstOrDefault() : null;
        return new Answer((int)res.StatusCode, body, res.Content.Headers.ContentType?.MediaType, accessError);
    }

    public Task DisposeAsync()
    {
        Kiln.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>What came back, with the request id taken out of the body.</summary>
public sealed record Answer(int Status, string Body, string? MediaType, string? AccessError)
{
    public override string ToString() => $"{Status} {(Body.Length > 300 ? Body[..300] + "…" : Body)}";
}
