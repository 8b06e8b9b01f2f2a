using System.Net;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Server.Tests.Console;

/// <summary>
/// The secret limit (2) and the last-secret guard hold under concurrent requests, on every path that adds or deletes
/// a secret: the REST API, the console's forms, workspace download, and any mix of them.
/// </summary>
public sealed class SecretRaceTests : IAsyncLifetime
{
    private readonly KilnFactory _kiln = new();
    private HttpClient _user = null!;
    private UiSession _ui = null!;
    private string _org = null!, _project = null!, _workspace = null!;

    public async Task InitializeAsync()
    {
        var demo = _kiln.Start();
        (_org, _project, _workspace) = (demo.OrgId, demo.ProjectId, demo.WorkspaceId);
        var admin = await _kiln.CreateUserAsync("racer@example.com", _kiln.DemoOrg(), "admin");
        _user = await _kiln.UserClientAsync(admin, _kiln.DemoOrg());
        _ui = await UiSession.SignInAsync(_kiln.BaseAddress, "racer@example.com");
    }

    public Task DisposeAsync()
    {
        _ui.Dispose();
        _kiln.Dispose();
        return Task.CompletedTask;
    }

    private async Task<string> NewCredentialAsync(string? workspace = null, string? project = null) =>
        (await _user.NewCredentialAsync(_org, project ?? _project, workspace ?? _workspace, "race-" + Guid.NewGuid().ToString("N")[..8])).Id();

    private string SecretsUrl(string cred) => $"/console/organizations/{_org}/credentials/{cred}/secrets";

    private Task<HttpResponseMessage> RestAdd(string cred) => _user.PostAsync(SecretsUrl(cred), null);

    private Task<HttpResponseMessage> RestDelete(string cred, string uuid) => _user.DeleteAsync($"{SecretsUrl(cred)}/{uuid}");

    private Task<HttpResponseMessage> UiAdd(string cred, string token) =>
        _ui.PostAsync(UiSession.CredentialPage(_org, _project, cred), "add-secret", token);

    private Task<HttpResponseMessage> UiDelete(string cred, string uuid, string token) =>
        _ui.PostAsync(UiSession.DeleteSecretPage(_org, _project, cred, uuid), "delete-secret", token);

    [Fact]
    public async Task Concurrent_rest_adds_stop_at_the_limit()
    {
        var cred = await NewCredentialAsync();
        var statuses = await Race.AllAsync(10, _ => RestAdd(cred));
        Assert.Equal(1, statuses.Count(HttpStatusCode.Created));
        Assert.Equal(9, statuses.Count(HttpStatusCode.Conflict));
        Assert.Equal(2, (await Race.SecretsAsync(_user, _org, cred)).Count);
    }

    [Fact]
    public async Task Concurrent_form_adds_stop_at_the_limit()
    {
        var cred = await NewCredentialAsync();
        var token = await _ui.TokenAsync(UiSession.CredentialPage(_org, _project, cred));
        var statuses = await Race.AllAsync(12, _ => UiAdd(cred, token));
        Assert.Equal(1, statuses.Count(HttpStatusCode.Redirect)); // post/redirect/get
        Assert.Equal(11, statuses.Count(HttpStatusCode.Conflict));
        Assert.Equal(2, (await Race.SecretsAsync(_user, _org, cred)).Count);
    }

    [Fact]
    public async Task Concurrent_downloads_with_a_new_secret_add_one_per_credential_all_or_none()
    {
        var (project, workspace) = await _user.NewProjectAsync(_org, "racedl");
        var a = await NewCredentialAsync(workspace, project);
        var b = await NewCredentialAsync(workspace, project);
        var url = $"/console/organizations/{_org}/projects/{project}/workspaces/{workspace}/download?with_new_secret=true";
        var statuses = await Race.AllAsync(10, _ => _user.GetAsync(url));
        Assert.Equal(1, statuses.Count(HttpStatusCode.OK));
        Assert.Equal(9, statuses.Count(HttpStatusCode.Conflict));
        Assert.Equal(2, (await Race.SecretsAsync(_user, _org, a)).Count);
        Assert.Equal(2, (await Race.SecretsAsync(_user, _org, b)).Count);
    }

    [Fact]
    public async Task Concurrent_rest_deletes_keep_the_last_secret()
    {
        var cred = await NewCredentialAsync();
        for (var round = 0; round < 5; round++)
        {
            Assert.Equal(HttpStatusCode.Created, (await RestAdd(cred)).StatusCode);
            var secrets = await Race.SecretsAsync(_user, _org, cred);
            Assert.Equal(2, secrets.Count);
            var statuses = await Race.AllAsync(() => RestDelete(cred, secrets[0]), () => RestDelete(cred, secrets[1]));
            Assert.Equal(1, statuses.Count(HttpStatusCode.NoContent));
            Assert.Equal(1, statuses.Count(HttpStatusCode.Conflict));
            Assert.Single(await Race.SecretsAsync(_user, _org, cred));
        }
    }

    [Fact]
    public async Task Concurrent_form_deletes_keep_the_last_secret()
    {
        var cred = await NewCredentialAsync();
        var token = await _ui.TokenAsync(UiSession.CredentialPage(_org, _project, cred));
        for (var round = 0; round < 5; round++)
        {
            Assert.Equal(HttpStatusCode.Created, (await RestAdd(cred)).StatusCode);
            var secrets = await Race.SecretsAsync(_user, _org, cred);
            var statuses = await Race.AllAsync(() => UiDelete(cred, secrets[0], token), () => UiDelete(cred, secrets[1], token));
            Assert.Equal(1, statuses.Count(HttpStatusCode.Redirect));
            Assert.Equal(1, statuses.Count(HttpStatusCode.Conflict));
            Assert.Single(await Race.SecretsAsync(_user, _org, cred));
        }
    }

    [Fact]
    public async Task A_mix_of_adds_and_deletes_on_every_path_keeps_between_one_and_two_secrets()
    {
        var cred = await NewCredentialAsync();
        var token = await _ui.TokenAsync(UiSession.CredentialPage(_org, _project, cred));
        for (var round = 0; round < 3; round++)
        {
            while ((await Race.SecretsAsync(_user, _org, cred)).Count < 2) Assert.Equal(HttpStatusCode.Created, (await RestAdd(cred)).StatusCode);
            var s = await Race.SecretsAsync(_user, _org, cred);
            var sends = new List<Func<Task<HttpResponseMessage>>> { () => RestDelete(cred, s[0]), () => UiDelete(cred, s[1], token) };
            for (var i = 0; i < 4; i++) sends.AddRange([() => RestAdd(cred), () => UiAdd(cred, token)]);
            var statuses = await Race.AllAsync([.. sends]);
            var deleted = statuses.Take(2).Count(st => st is 204 or 302);
            var added = statuses.Skip(2).Count(st => st is 201 or 302); // REST 201, the form's post/redirect/get 302
            var left = (await Race.SecretsAsync(_user, _org, cred)).Count;
            Assert.InRange(left, 1, 2);
            Assert.Equal(2 - deleted + added, left);
        }
    }
}
