using Kiln.Client.Tests.Infrastructure;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Client.Tests.RealServer;

/// <summary>ConsoleClient against a real Kiln, with the demo credential's I/O Management token (adobeio_api).</summary>
public sealed class ConsoleRealServerTests : IDisposable
{
    private const string FireflySdk = "FireflyAPI";
    private const string IoSdk = "AdobeIOManagementAPISDK";
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Orgs_services_and_the_projects_lifecycle()
    {
        _kiln.Start();
        using var h = new ClientHarness(_kiln);
        var c = h.Console;
        var org = _kiln.Demo.OrgId;

        Assert.Contains(await c.ListOrganizationsAsync(), o => o.Id == org);
        Assert.Contains(await c.ListServicesAsync(org), s => s.Code == FireflySdk);

        var created = await c.CreateProjectAsync(org, "clientproj", "Client project", "made by ConsoleClient");
        Assert.Matches("^[0-9]+$", created.ProjectId);
        Assert.Matches("^[0-9]+$", created.WorkspaceId!);
        Assert.Contains(await c.ListProjectsAsync(org), p => p.Id == created.ProjectId && p.Name == "clientproj");
        var got = await c.GetProjectAsync(org, created.ProjectId);
        Assert.Equal((created.ProjectId, "clientproj", "Client project"), (got.Id, got.Name, got.Title));

        var dup = await Assert.ThrowsAnyAsync<KilnApiException>(() => c.CreateProjectAsync(org, "clientproj", "again"));
        Assert.Equal(409, (int)dup.StatusCode!.Value);

        await c.DeleteProjectAsync(org, created.ProjectId);
        Assert.DoesNotContain(await c.ListProjectsAsync(org), p => p.Id == created.ProjectId);
        var gone = await Assert.ThrowsAnyAsync<KilnApiException>(() => c.GetProjectAsync(org, created.ProjectId));
        Assert.Equal(404, (int)gone.StatusCode!.Value);
    }

    [Fact]
    public async Task Workspaces_credentials_subscriptions_and_lookup_by_client_id()
    {
        _kiln.Start();
        using var h = new ClientHarness(_kiln);
        var c = h.Console;
        var org = _kiln.Demo.OrgId;
        var project = await c.CreateProjectAsync(org, "credproj", "Credentials");

        var ws = await c.CreateWorkspaceAsync(org, project.ProjectId, "Staging");
        Assert.Matches("^[0-9]+$", ws.WorkspaceId);
        var workspaces = await c.ListWorkspacesAsync(org, project.ProjectId);
        Assert.Contains(workspaces, w => w.Id == ws.WorkspaceId && w.Name == "Staging");
        Assert.Contains(workspaces, w => w.Id == project.WorkspaceId);

        var cred = await c.CreateCredentialAsync(org, project.ProjectId, ws.WorkspaceId, "ci");
        Assert.Matches("^[0-9]+$", cred.Id);
        Assert.Matches("^[0-9a-f]{32}$", cred.ApiKey);
        Assert.False(string.IsNullOrEmpty(cred.ClientSecret));
        var listed = Assert.Single(await c.ListCredentialsAsync(org, project.ProjectId, ws.WorkspaceId));
        Assert.Equal((cred.Id, "oauth_server_to_server"), (listed.Id, listed.IntegrationType));

        var sub = await c.SubscribeServicesAsync(org, cred.Id, [FireflySdk, IoSdk]);
        Assert.Equal([IoSdk, FireflySdk], sub.SdkList!.Order());
        Assert.False(string.IsNullOrEmpty(await _kiln.TokenAsync(cred.ApiKey, cred.ClientSecret!, "firefly_api")));
        var unsub = await c.UnsubscribeServiceAsync(org, cred.Id, FireflySdk);
        Assert.Equal([IoSdk], unsub.SdkList!);

        var where = await c.FindCredentialAsync(cred.ApiKey);
        Assert.Equal((org, project.ProjectId, ws.WorkspaceId, cred.Id), (where.OrgId, where.ProjectId, where.WorkspaceId, where.CredentialId));
        var demo = await c.FindCredentialAsync(_kiln.Demo.ClientId);
        Assert.Equal((_kiln.Demo.OrgId, _kiln.Demo.CredentialId), (demo.OrgId, demo.CredentialId));

        await c.DeleteCredentialAsync(org, project.ProjectId, ws.WorkspaceId, cred.Id);
        Assert.Empty(await c.ListCredentialsAsync(org, project.ProjectId, ws.WorkspaceId));
        var missing = await Assert.ThrowsAnyAsync<KilnApiException>(() => c.FindCredentialAsync(cred.ApiKey));
        Assert.Equal(404, (int)missing.StatusCode!.Value);
    }
}
