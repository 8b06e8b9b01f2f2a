using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Client.Internal;
using Microsoft.Extensions.Options;

namespace Kiln.Client;

/// <summary>
/// The Developer Console REST API (I/O Management API, docs/console.md#endpoints): organizations, projects, workspaces, credentials,
/// services and client secrets. Requests carry <see cref="KilnClientOptions.ConsoleScopes"/>. Error statuses throw
/// <see cref="ConsoleApiException"/>, a token failure <see cref="KilnAuthenticationException"/> (both <see cref="KilnApiException"/>);
/// timeouts throw <see cref="KilnTimeoutException"/>; connection failures <see cref="HttpRequestException"/>.
/// Every member is virtual, so tests can mock it.
/// </summary>
public partial class ConsoleClient
{
    private readonly HttpClient _http;
    private readonly KilnClientOptions _options;
    private readonly Uri _base;

    /// <summary>For mocking frameworks: a client that must not be called unmocked.</summary>
    protected ConsoleClient()
    {
        _http = null!;
        _options = new KilnClientOptions();
        _base = null!;
    }

    /// <summary>Creates the client (what <c>AddKilnClient</c> registers; its pipeline adds the token).</summary>
    /// <param name="http">An HTTP client whose pipeline authenticates (see <see cref="KilnAuthHandler"/>).</param>
    /// <param name="options">The client options.</param>
    /// <exception cref="InvalidOperationException">Neither <paramref name="http"/> nor the options name a Console base address.</exception>
    public ConsoleClient(HttpClient http, IOptions<KilnClientOptions> options) : this(http, (options ?? throw new ArgumentNullException(nameof(options))).Value) { }

    /// <summary>Creates the client.</summary>
    /// <param name="http">An HTTP client whose pipeline authenticates (see <see cref="KilnAuthHandler"/>).</param>
    /// <param name="options">The client options.</param>
    /// <exception cref="InvalidOperationException">Neither <paramref name="http"/> nor the options name a Console base address.</exception>
    public ConsoleClient(HttpClient http, KilnClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _base = HttpHelpers.AsBase(options.ConsoleBaseUrl ?? http.BaseAddress)
            ?? throw new InvalidOperationException("The Console client has no base address: set KilnClientOptions.ConsoleBaseUrl (UseKiln(baseUrl) or UseAdobe()).");
    }

    /// <summary>The base address every Console path is resolved under (its path is kept).</summary>
    public virtual Uri BaseAddress => _base;

    /// <summary>The caller's organizations.</summary>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<IReadOnlyList<ConsoleOrganization>> ListOrganizationsAsync(CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<ConsoleOrganization>>(HttpMethod.Get, "console/organizations", null, cancellationToken);

    /// <summary>Where a client id lives (org, project, workspace, credential).</summary>
    /// <param name="clientId">The client id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<CredentialLocation> FindCredentialAsync(string clientId, CancellationToken cancellationToken = default) =>
        SendAsync<CredentialLocation>(HttpMethod.Get, $"console/clients/{E(clientId)}/credential", null, cancellationToken);

    /// <summary>The org's projects.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<IReadOnlyList<ConsoleProject>> ListProjectsAsync(string orgId, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<ConsoleProject>>(HttpMethod.Get, $"{Org(orgId)}/projects", null, cancellationToken);

    /// <summary>Creates a project (with its default workspace).</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="name">Name.</param>
    /// <param name="title">Title.</param>
    /// <param name="description">Description.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<CreatedProject> CreateProjectAsync(string orgId, string name, string title, string? description = null, CancellationToken cancellationToken = default) =>
        SendAsync<CreatedProject>(HttpMethod.Post, $"{Org(orgId)}/projects", new { name, title, description = description ?? "", type = "default" }, cancellationToken);

    /// <summary>One project.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<ConsoleProject> GetProjectAsync(string orgId, string projectId, CancellationToken cancellationToken = default) =>
        SendAsync<ConsoleProject>(HttpMethod.Get, $"{Org(orgId)}/projects/{E(projectId)}", null, cancellationToken);

    /// <summary>Deletes a project.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task DeleteProjectAsync(string orgId, string projectId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"{Org(orgId)}/projects/{E(projectId)}", cancellationToken);

    /// <summary>A project's workspaces.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<IReadOnlyList<ConsoleWorkspace>> ListWorkspacesAsync(string orgId, string projectId, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<ConsoleWorkspace>>(HttpMethod.Get, $"{Org(orgId)}/projects/{E(projectId)}/workspaces", null, cancellationToken);

    /// <summary>Creates a workspace.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="name">Name.</param>
    /// <param name="description">Description.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<CreatedWorkspace> CreateWorkspaceAsync(string orgId, string projectId, string name, string? description = null, CancellationToken cancellationToken = default) =>
        SendAsync<CreatedWorkspace>(HttpMethod.Post, $"{Org(orgId)}/projects/{E(projectId)}/workspaces", new { name, title = name, description = description ?? "" }, cancellationToken);

    /// <summary>Deletes a workspace.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="workspaceId">Workspace id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task DeleteWorkspaceAsync(string orgId, string projectId, string workspaceId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"{Ws(orgId, projectId, workspaceId)}", cancellationToken);

    /// <summary>A workspace's credentials.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="workspaceId">Workspace id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<IReadOnlyList<WorkspaceCredential>> ListCredentialsAsync(string orgId, string projectId, string workspaceId, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<WorkspaceCredential>>(HttpMethod.Get, $"{Ws(orgId, projectId, workspaceId)}/credentials", null, cancellationToken);

    /// <summary>Creates an OAuth server-to-server credential in a workspace. Kiln returns its first secret once.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="workspaceId">Workspace id.</param>
    /// <param name="name">Name.</param>
    /// <param name="description">Description.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<CreatedCredential> CreateCredentialAsync(string orgId, string projectId, string workspaceId, string name, string? description = null, CancellationToken cancellationToken = default) =>
        SendAsync<CreatedCredential>(HttpMethod.Post, $"{Ws(orgId, projectId, workspaceId)}/credentials/oauth-server-to-server",
            new { name, description = description ?? "" }, cancellationToken);

    /// <summary>Deletes a credential.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="workspaceId">Workspace id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task DeleteCredentialAsync(string orgId, string projectId, string workspaceId, string credentialId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"{Ws(orgId, projectId, workspaceId)}/credentials/{E(credentialId)}", cancellationToken);

    /// <summary>Subscribes a credential to services (e.g. <c>FireflyAPI</c>, <c>AdobeIOManagementAPISDK</c>).</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="sdkCodes">The service codes.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<SubscriptionResult> SubscribeServicesAsync(string orgId, string credentialId, IEnumerable<string> sdkCodes, CancellationToken cancellationToken = default) =>
        SendAsync<SubscriptionResult>(HttpMethod.Put, $"{Org(orgId)}/credentials/oauth-server-to-server/{E(credentialId)}/services",
            sdkCodes.Select(c => new { sdkCode = c, licenseConfigs = (object?)null, roles = (object?)null }).ToList(), cancellationToken);

    /// <summary>Unsubscribes a credential from one service (<c>PATCH .../service/unsubscribe</c>); its next tokens lose that service's scopes.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="sdkCode">The service code.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<SubscriptionResult> UnsubscribeServiceAsync(string orgId, string credentialId, string sdkCode, CancellationToken cancellationToken = default) =>
        SendAsync<SubscriptionResult>(HttpMethod.Patch, $"{Org(orgId)}/credentials/oauth-server-to-server/{E(credentialId)}/service/unsubscribe", new { sdkCode }, cancellationToken);

    /// <summary>The services the org offers.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<IReadOnlyList<ConsoleService>> ListServicesAsync(string orgId, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<ConsoleService>>(HttpMethod.Get, $"{Org(orgId)}/services", null, cancellationToken);

    /// <summary>The workspace download JSON (docs/console.md#workspace-download).</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="projectId">Project id.</param>
    /// <param name="workspaceId">Workspace id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<JsonElement> DownloadWorkspaceAsync(string orgId, string projectId, string workspaceId, CancellationToken cancellationToken = default) =>
        SendAsync<JsonElement>(HttpMethod.Get, $"{Ws(orgId, projectId, workspaceId)}/download", null, cancellationToken);

    /// <summary>A credential's secrets (no plaintext).</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<ClientSecretList> ListSecretsAsync(string orgId, string credentialId, CancellationToken cancellationToken = default) =>
        SendAsync<ClientSecretList>(HttpMethod.Get, Secrets(orgId, credentialId), null, cancellationToken);

    /// <summary>Adds a secret; the answer holds its plaintext, this once. Never retried automatically.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<NewClientSecret> AddSecretAsync(string orgId, string credentialId, CancellationToken cancellationToken = default) =>
        SendAsync<NewClientSecret>(HttpMethod.Post, Secrets(orgId, credentialId), null, cancellationToken);

    /// <summary>Deletes a secret (irreversible). Kiln refuses the last one unless <paramref name="force"/>.</summary>
    /// <param name="orgId">Org id.</param>
    /// <param name="credentialId">Credential id.</param>
    /// <param name="uuid">The secret's uuid.</param>
    /// <param name="force">Delete even the last secret.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task DeleteSecretAsync(string orgId, string credentialId, string uuid, bool force = false, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, $"{Secrets(orgId, credentialId)}/{E(uuid)}" + (force ? "?force=true" : ""), cancellationToken);

    private static string E(string s) => Uri.EscapeDataString(s);
    private static string Org(string orgId) => $"console/organizations/{E(orgId)}";
    private static string Ws(string o, string p, string w) => $"{Org(o)}/projects/{E(p)}/workspaces/{E(w)}";
    private static string Secrets(string o, string c) => $"{Org(o)}/credentials/{E(c)}/secrets";

    private async Task SendAsync(HttpMethod method, string path, CancellationToken ct)
    {
        using var res = await SendRawAsync(method, path, null, ct).ConfigureAwait(false);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var res = await SendRawAsync(method, path, body, ct).ConfigureAwait(false);
        return await res.Content.ReadFromJsonAsync<T>(HttpHelpers.Json, ct).ConfigureAwait(false)
            ?? throw new ConsoleApiException(res.StatusCode, "invalid_response", "empty response body", HttpHelpers.RequestId(res), null);
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var req = new HttpRequestMessage(method, new Uri(_base, path));
        req.Options.Set(KilnAuthHandler.ScopesOption, _options.ConsoleScopes);
        req.Headers.Accept.ParseAdd("application/json");
        if (body is not null) req.Content = JsonContent.Create(body, options: HttpHelpers.Json);
        var res = await HttpHelpers.SendAsync(_http, req, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        if (res.IsSuccessStatusCode) return res;
        using (res)
        {
            var (raw, _, code, message, requestId) = await KilnApiException.ReadAsync(res, ct).ConfigureAwait(false);
            throw new ConsoleApiException(res.StatusCode, code, message, requestId, raw)
            {
                RetryAfter = HttpHelpers.RetryAfter(res, _options.TimeProvider),
            };
        }
    }
}
