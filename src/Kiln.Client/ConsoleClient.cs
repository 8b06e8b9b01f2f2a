using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Client.Internal;
using Microsoft.Extensions.Options;

namespace Kiln.Client;

/// <summary>
/// The Developer Console REST API (I/O Management API, docs/console.md#endpoints): organizations, projects, workspaces, credentials,
/// services and client secrets. Requests carry <see cref="KilnClientOptions.ConsoleScopes"/>. Error statuses throw
/// <see cref="ConsoleApiException"/>; transport failures throw <see cref="HttpRequestException"/>.
/// </summary>
public sealed class ConsoleClient
{
    private readonly HttpClient _http;
    private readonly KilnClientOptions _options;

    /// <summary>Creates the client (the typed client of <c>AddKilnClient</c>; its handler adds the token).</summary>
    /// <param name="http">An HTTP client whose pipeline authenticates (see <see cref="KilnAuthHandler"/>).</param>
    /// <param name="options">The client options.</param>
    public ConsoleClient(HttpClient http, IOptions<KilnClientOptions> options)
    {
        _http = http;
        _options = options.Value;
        _http.BaseAddress ??= _options.ConsoleBaseUrl;
    }

    /// <summary>The caller's organizations.</summary>
    /// <param name="ct">Cancellation.</param>
    public Task<IReadOnlyList<ConsoleOrganization>> ListOrganizationsAsync(CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<ConsoleOrganization>>(HttpMethod.Get, "/console/organizations", null, ct);

    /// <summary>Where a client id lives (org, project, workspace, credential).</summary>
    /// <param name="clientId">The client id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<CredentialLocation> FindCredentialAsync(string clientId, CancellationToken ct = default) =>
        SendAsync<CredentialLocation>(HttpMethod.Get, $"/console/clients/{E(clientId)}/credential", null, ct);

    /// <summary>The org's projects.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<IReadOnlyList<ConsoleProject>> ListProjectsAsync(string orgId, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<ConsoleProject>>(HttpMethod.Get, $"{Org(orgId)}/projects", null, ct);

    /// <summary>Creates a project (with its default workspace).</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="name">Name.</param>
    /// <param name="title">Title.</param>
    /// <param name="description">Description.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<CreatedProject> CreateProjectAsync(string orgId, string name, string title, string? description = null, CancellationToken ct = default) =>
        SendAsync<CreatedProject>(HttpMethod.Post, $"{Org(orgId)}/projects", new { name, title, description = description ?? "", type = "default" }, ct);

    /// <summary>One project.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<ConsoleProject> GetProjectAsync(string orgId, string projectId, CancellationToken ct = default) =>
        SendAsync<ConsoleProject>(HttpMethod.Get, $"{Org(orgId)}/projects/{E(projectId)}", null, ct);

    /// <summary>Deletes a project.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task DeleteProjectAsync(string orgId, string projectId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"{Org(orgId)}/projects/{E(projectId)}", ct);

    /// <summary>A project's workspaces.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<IReadOnlyList<ConsoleWorkspace>> ListWorkspacesAsync(string orgId, string projectId, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<ConsoleWorkspace>>(HttpMethod.Get, $"{Org(orgId)}/projects/{E(projectId)}/workspaces", null, ct);

    /// <summary>Creates a workspace.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="name">Name.</param>
    /// <param name="description">Description.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<CreatedWorkspace> CreateWorkspaceAsync(string orgId, string projectId, string name, string? description = null, CancellationToken ct = default) =>
        SendAsync<CreatedWorkspace>(HttpMethod.Post, $"{Org(orgId)}/projects/{E(projectId)}/workspaces", new { name, title = name, description = description ?? "" }, ct);

    /// <summary>Deletes a workspace.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="workspaceId">Workspace id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task DeleteWorkspaceAsync(string orgId, string projectId, string workspaceId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"{Ws(orgId, projectId, workspaceId)}", ct);

    /// <summary>A workspace's credentials.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="workspaceId">Workspace id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<IReadOnlyList<WorkspaceCredential>> ListCredentialsAsync(string orgId, string projectId, string workspaceId, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<WorkspaceCredential>>(HttpMethod.Get, $"{Ws(orgId, projectId, workspaceId)}/credentials", null, ct);

    /// <summary>Creates an OAuth server-to-server credential in a workspace. Kiln returns its first secret once.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="workspaceId">Workspace id.</param>
    /// <param name="name">Name.</param>
    /// <param name="description">Description.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<CreatedCredential> CreateCredentialAsync(string orgId, string projectId, string workspaceId, string name, string? description = null, CancellationToken ct = default) =>
        SendAsync<CreatedCredential>(HttpMethod.Post, $"{Ws(orgId, projectId, workspaceId)}/credentials/oauth-server-to-server",
            new { name, description = description ?? "" }, ct);

    /// <summary>Deletes a credential.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="workspaceId">Workspace id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task DeleteCredentialAsync(string orgId, string projectId, string workspaceId, string credentialId, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"{Ws(orgId, projectId, workspaceId)}/credentials/{E(credentialId)}", ct);

    /// <summary>Subscribes a credential to services (e.g. <c>FireflyAPI</c>, <c>AdobeIOManagementAPISDK</c>).</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="sdkCodes">The service codes.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<SubscriptionResult> SubscribeServicesAsync(string orgId, string credentialId, IEnumerable<string> sdkCodes, CancellationToken ct = default) =>
        SendAsync<SubscriptionResult>(HttpMethod.Put, $"{Org(orgId)}/credentials/oauth-server-to-server/{E(credentialId)}/services",
            sdkCodes.Select(c => new { sdkCode = c, licenseConfigs = (object?)null, roles = (object?)null }).ToList(), ct);

    /// <summary>Unsubscribes a credential from one service (<c>PATCH .../service/unsubscribe</c>); its next tokens lose that service's scopes.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="sdkCode">The service code.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<SubscriptionResult> UnsubscribeServiceAsync(string orgId, string credentialId, string sdkCode, CancellationToken ct = default) =>
        SendAsync<SubscriptionResult>(HttpMethod.Patch, $"{Org(orgId)}/credentials/oauth-server-to-server/{E(credentialId)}/service/unsubscribe", new { sdkCode }, ct);

    /// <summary>The services the org offers.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<IReadOnlyList<ConsoleService>> ListServicesAsync(string orgId, CancellationToken ct = default) =>
        SendAsync<IReadOnlyList<ConsoleService>>(HttpMethod.Get, $"{Org(orgId)}/services", null, ct);

    /// <summary>The workspace download JSON (docs/console.md#workspace-download).</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="workspaceId">Workspace id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<JsonElement> DownloadWorkspaceAsync(string orgId, string projectId, string workspaceId, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Get, $"{Ws(orgId, projectId, workspaceId)}/download", null, ct);

    /// <summary>A credential's secrets (no plaintext).</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<ClientSecretList> ListSecretsAsync(string orgId, string credentialId, CancellationToken ct = default) =>
        SendAsync<ClientSecretList>(HttpMethod.Get, Secrets(orgId, credentialId), null, ct);

    /// <summary>Adds a secret; the answer holds its plaintext, this once. Never retried automatically.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="ct">Cancellation.</param>
    public Task<NewClientSecret> AddSecretAsync(string orgId, string credentialId, CancellationToken ct = default) =>
        SendAsync<NewClientSecret>(HttpMethod.Post, Secrets(orgId, credentialId), null, ct);

    /// <summary>Deletes a secret (irreversible). Kiln refuses the last one unless <paramref name="force"/>.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="uuid">The secret's uuid.</param>
    /// <param name="force">Delete even the last secret.</param>
    /// <param name="ct">Cancellation.</param>
    public Task DeleteSecretAsync(string orgId, string credentialId, string uuid, bool force = false, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Delete, $"{Secrets(orgId, credentialId)}/{E(uuid)}" + (force ? "?force=true" : ""), ct);

    private static string E(string s) => Uri.EscapeDataString(s);
    private static string Org(string orgId) => $"/console/organizations/{E(orgId)}";
    private static string Ws(string o, string p, string w) => $"{Org(o)}/projects/{E(p)}/workspaces/{E(w)}";
    private static string Secrets(string o, string c) => $"{Org(o)}/credentials/{E(c)}/secrets";

    private async Task SendAsync(HttpMethod method, string path, CancellationToken ct)
    {
        using var res = await SendRawAsync(method, path, null, ct);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var res = await SendRawAsync(method, path, body, ct);
        return await res.Content.ReadFromJsonAsync<T>(HttpHelpers.Json, ct)
            ?? throw new ConsoleApiException(res.StatusCode, "invalid_response", "empty response body", HttpHelpers.RequestId(res), null);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(method, path);
        req.Options.Set(KilnAuthHandler.ScopesOption, _options.ConsoleScopes);
        req.Headers.Accept.ParseAdd("application/json");
        if (body is not null) req.Content = JsonContent.Create(body, options: HttpHelpers.Json);
        var res = await _http.SendAsync(req, ct);
        if (res.IsSuccessStatusCode) return res;
        using (res)
        {
            var (raw, _, code, message, requestId) = await KilnApiException.ReadAsync(res, ct);
            throw new ConsoleApiException(res.StatusCode, code, message, requestId, raw)
            {
                RetryAfter = HttpHelpers.RetryAfter(res, _options.TimeProvider),
            };
        }
    }
}
