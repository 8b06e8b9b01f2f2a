using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Users;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Console;

/// <summary>An org made directly in the database, with one credential subscribed to both APIs.</summary>
public sealed record OtherOrg(long OrgId, string OrgCode, long ProjectId, long WorkspaceId, long CredentialId, string ClientId, string ClientSecret);

/// <summary>Helpers for Console tests: users, user tokens through the real device flow, a second org.</summary>
public static class ConsoleKit
{
    public const string Cli = "kiln-cli";

    public static long DemoOrg(this KilnFactory kiln) => long.Parse(kiln.Demo.OrgId, System.Globalization.CultureInfo.InvariantCulture);

    public static async Task<T> WithDbAsync<T>(this KilnFactory kiln, Func<KilnDb, IServiceProvider, Task<T>> work)
    {
        using var scope = kiln.Services.CreateScope();
        return await work(scope.ServiceProvider.GetRequiredService<KilnDb>(), scope.ServiceProvider);
    }

    public static async Task<OtherOrg> CreateOrgAsync(this KilnFactory kiln, string name = "Other Org") => await kiln.WithDbAsync(async (db, sp) =>
    {
        var clock = sp.GetRequiredService<TimeProvider>();
        var now = clock.GetUtcNow();
        var org = new Org { Id = Ids.NewOrgId(), Code = Ids.NewOrgCode(), Name = name, CreatedAt = now };
        var project = NewEntities.NewProject(org.Id, "other", "Other project", "test", now);
        var ws = NewEntities.NewWorkspace(org.Id, project.Id, "Production", "test", now);
        var cred = NewEntities.NewCredential(org.Id, project.Id, ws.Id, "Other credential", now);
        cred.Services.Add(new CredentialService { SdkCode = Services.Firefly, SubscribedAt = now });
        cred.Services.Add(new CredentialService { SdkCode = Services.IoManagement, SubscribedAt = now });
        var secret = sp.GetRequiredService<ClientSecrets>().AddFirst(db, cred, actor: null);
        db.AddRange(org, project, ws, cred);
        await db.SaveChangesAsync();
        return new OtherOrg(org.Id, org.Code, project.Id, ws.Id, cred.Id, cred.ClientId, secret);
    });

    /// <summary>Creates a user (password "password-123") and, when given, a membership.</summary>
    public static async Task<long> CreateUserAsync(this KilnFactory kiln, string email, long? orgId = null, string role = "developer") =>
        await kiln.WithDbAsync(async (db, sp) =>
        {
            var clock = sp.GetRequiredService<TimeProvider>();
            var (user, error) = await UserAccounts.CreateAsync(db, clock, email, "password-123", default);
            Assert.True(user is not null, error?.Message);
            if (orgId is { } o)
            {
                db.OrgMemberships.Add(new OrgMembership { OrgId = o, UserId = user.Id, Role = role, CreatedAt = clock.GetUtcNow() });
                await db.SaveChangesAsync();
            }
            return user.Id;
        });

    public static async Task<JsonElement> StartDeviceAsync(this KilnFactory kiln, string? scope = null)
    {
        var form = new List<(string, string)> { ("client_id", Cli) };
        if (scope is not null) form.Add(("scope", scope));
        return await HttpAssert.JsonAsync(await kiln.Http().PostFormAsync("/ims/device/code", [.. form]), 200);
    }

    public static Task<HttpResponseMessage> PollAsync(this KilnFactory kiln, string deviceCode) =>
        kiln.Http().PostFormAsync("/ims/token/v3", ("grant_type", DeviceFlow.GrantType), ("client_id", Cli), ("device_code", deviceCode));

    public static Task<DeviceDecision> ApproveAsync(this KilnFactory kiln, string userCode, long userId, long orgId) =>
        kiln.WithDbAsync((db, sp) => DeviceFlow.ApproveAsync(db, sp.GetRequiredService<TimeProvider>(), userCode, userId, orgId, default));

    /// <summary>A user token through the whole device flow: code, approval (the UI's building block), poll.</summary>
    public static async Task<string> UserTokenAsync(this KilnFactory kiln, long userId, long orgId)
    {
        var start = await kiln.StartDeviceAsync();
        Assert.Equal(DeviceDecision.Approved, await kiln.ApproveAsync(start.GetProperty("user_code").GetString()!, userId, orgId));
        var token = await HttpAssert.JsonAsync(await kiln.PollAsync(start.GetProperty("device_code").GetString()!), 200);
        return token.GetProperty("access_token").GetString()!;
    }

    public static async Task<HttpClient> UserClientAsync(this KilnFactory kiln, long userId, long orgId) =>
        kiln.Authed(await kiln.UserTokenAsync(userId, orgId), Cli);

    /// <summary>The demo credential with the I/O Management API scopes: a <c>developer</c> in the demo org.</summary>
    public static Task<HttpClient> DemoConsoleAsync(this KilnFactory kiln) => kiln.DemoClientAsync(KilnFactory.IoScopes);

    public static Task<HttpResponseMessage> PatchJsonAsync<T>(this HttpClient c, string url, T body) =>
        c.PatchAsync(url, JsonContent.Create(body));

    public static Task<HttpResponseMessage> PutJsonAsync<T>(this HttpClient c, string url, T body) => c.PutAsync(url, JsonContent.Create(body));

    public static Task<HttpResponseMessage> SendRawAsync(this HttpClient c, HttpMethod method, string url, string body) =>
        c.SendAsync(new HttpRequestMessage(method, url) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") });

    /// <summary>Creates a project over HTTP and returns (projectId, workspaceId).</summary>
    public static async Task<(string ProjectId, string WorkspaceId)> NewProjectAsync(this HttpClient c, string orgId, string name)
    {
        var json = await HttpAssert.JsonAsync(await c.PostJsonAsync($"/console/organizations/{orgId}/projects",
            new { name, title = name + " title", description = "d", type = "default" }), 201);
        return (json.GetProperty("projectId").GetString()!, json.GetProperty("workspaceId").GetString()!);
    }

    /// <summary>Creates a workspace credential over HTTP and returns its create answer.</summary>
    public static async Task<JsonElement> NewCredentialAsync(this HttpClient c, string orgId, string projectId, string workspaceId, string name,
        params string[] sdkCodes) =>
        await HttpAssert.JsonAsync(await c.PostJsonAsync(
            $"/console/organizations/{orgId}/projects/{projectId}/workspaces/{workspaceId}/credentials/oauth-server-to-server",
            new { name, description = "test", services = sdkCodes.Select(s => new { sdkCode = s, licenseConfigs = (object?)null, roles = (object?)null }) }), 200);
}
