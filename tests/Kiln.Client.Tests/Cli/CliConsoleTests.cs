using System.Text.Json;

namespace Kiln.Client.Tests.Cli;

/// <summary><c>kiln projects|credentials</c> against Console-shaped stub routes (request paths); the real-server runs are in RealServer/CliRealServerTests.</summary>
public sealed class CliConsoleTests : IAsyncLifetime
{
    private readonly Infrastructure.Cli _cli = new();
    private FireflyStubServer _ff = null!;

    public async Task InitializeAsync() => _ff = await FireflyStubServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _ff.DisposeAsync();
        _cli.Dispose();
    }

    private string[] Args(params string[] a) => [.. a, .. _ff.Flags, "--org", "23294"];

    [Fact]
    public async Task Projects_list_create_delete()
    {
        var table = await _cli.RunAsync(Args("projects", "list"));
        Assert.True(table.Code == 0, table.ToString());
        Assert.Contains("4566206088344794932", table.Out);
        var json = JsonDocument.Parse((await _cli.RunAsync(Args("projects", "list", "--json"))).Out).RootElement;
        Assert.Equal("demo", json[0].GetProperty("name").GetString());

        var created = await _cli.RunAsync(Args("projects", "create", "new-project", "--json"));
        Assert.Equal("4566206088344794999", JsonDocument.Parse(created.Out).RootElement.GetProperty("projectId").GetString());
        var dup = await _cli.RunAsync(Args("projects", "create", "dup"));
        Assert.Equal(1, dup.Code);
        Assert.StartsWith("kiln: 409 ERR_MSG_DUPLICATE_NAME", dup.Err);

        Assert.Equal(2, (await _cli.RunAsync(Args("projects", "delete", "4566206088344794999"))).Code); // not confirmed
        var deleted = await _cli.RunAsync(Args("projects", "delete", "4566206088344794999", "--force"));
        Assert.True(deleted.Code == 0, deleted.ToString());
        Assert.Contains(_ff.Requests, r => r.StartsWith("DELETE /console/organizations/23294/projects/4566206088344794999", StringComparison.Ordinal));
        Assert.Equal(2, (await _cli.RunAsync("projects", "list", "--base-url", _ff.BaseUrl, "--client-id", FireflyStubServer.ClientId, "--client-secret", "stub-secret")).Code); // no org
    }

    [Fact]
    public async Task Credentials_use_the_projects_first_workspace_and_print_the_new_secret_once()
    {
        var list = await _cli.RunAsync(Args("credentials", "list", "--project", "4566206088344794932", "--json"));
        Assert.True(list.Code == 0, list.ToString());
        Assert.Equal("oauth_server_to_server", JsonDocument.Parse(list.Out).RootElement[0].GetProperty("integration_type").GetString());
        Assert.Contains(_ff.Requests, r => r.StartsWith("GET /console/organizations/23294/projects/4566206088344794932/workspaces/4566206088344795000/credentials", StringComparison.Ordinal));

        var created = await _cli.RunAsync(Args("credentials", "create", "ci", "--project", "4566206088344794932"));
        Assert.True(created.Code == 0, created.ToString());
        Assert.Contains("client_id:     fedcba9876543210fedcba9876543210", created.Out);
        Assert.Contains("client_secret: p8e-new-secret", created.Out);

        var deleted = await _cli.RunAsync(Args("credentials", "delete", "577412", "--project", "4566206088344794932", "--workspace", "4566206088344795000", "--force", "--json"));
        Assert.Equal("577412", JsonDocument.Parse(deleted.Out).RootElement.GetProperty("deleted").GetString());
        Assert.Equal(2, (await _cli.RunAsync(Args("credentials", "list"))).Code); // --project is required
    }

    [Fact]
    public async Task Secrets_commands_find_org_and_credential_from_the_client_id_when_not_configured()
    {
        var r = await _cli.RunAsync(["secrets", "list", "--json", .. _ff.Flags]);
        Assert.True(r.Code == 0, r.ToString());
        Assert.Equal("23294-577411", JsonDocument.Parse(r.Out).RootElement.GetProperty("client_secrets")[0].GetProperty("uuid").GetString());
        Assert.Contains(_ff.Requests, q => q.StartsWith($"GET /console/clients/{FireflyStubServer.ClientId}/credential", StringComparison.Ordinal));
    }
}
