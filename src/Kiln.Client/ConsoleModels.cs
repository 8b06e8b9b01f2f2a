using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kiln.Client;

/// <summary>One use of a secret: when it last minted a token.</summary>
/// <param name="LastUsedAtMs">Epoch milliseconds as a string, as on the wire.</param>
/// <param name="GrantType">The grant, <c>client_credentials</c>.</param>
public sealed record SecretUsage(
    [property: JsonPropertyName("last_used_at")] string LastUsedAtMs,
    [property: JsonPropertyName("grant_type")] string? GrantType)
{
    /// <summary><see cref="LastUsedAtMs"/> as a time, or null when it does not parse.</summary>
    [JsonIgnore] public DateTimeOffset? LastUsedAt => ConsoleTime.Parse(LastUsedAtMs);
}

/// <summary>A client secret as listed (docs/console.md#client-secrets): never the plaintext.</summary>
/// <param name="Uuid">The secret's id (32 hex).</param>
/// <param name="CreatedAtMs">Creation time, epoch ms string.</param>
/// <param name="CreatedAtStr">Creation time, human form.</param>
/// <param name="ExpiresAtMs">Expiry, epoch ms string or <c>PERMANENT</c>.</param>
/// <param name="ExpiresAtStr">Expiry, human form.</param>
/// <param name="SecretUsages">Usage records; null until the secret is first used.</param>
public sealed record ClientSecretInfo(
    [property: JsonPropertyName("uuid")] string Uuid,
    [property: JsonPropertyName("created_at")] string CreatedAtMs,
    [property: JsonPropertyName("created_at_str")] string? CreatedAtStr,
    [property: JsonPropertyName("expires_at")] string? ExpiresAtMs,
    [property: JsonPropertyName("expires_at_str")] string? ExpiresAtStr,
    [property: JsonPropertyName("secret_usages")] IReadOnlyList<SecretUsage>? SecretUsages)
{
    /// <summary>Creation time.</summary>
    [JsonIgnore] public DateTimeOffset? CreatedAt => ConsoleTime.Parse(CreatedAtMs);

    /// <summary>Expiry, or null for <c>PERMANENT</c>.</summary>
    [JsonIgnore] public DateTimeOffset? ExpiresAt => ConsoleTime.Parse(ExpiresAtMs);

    /// <summary>The latest <c>last_used_at</c>, or null when never used.</summary>
    [JsonIgnore] public DateTimeOffset? LastUsedAt => SecretUsages?.Select(u => u.LastUsedAt).Max();
}

/// <summary>The secrets of one credential.</summary>
/// <param name="ClientId">The credential's client id.</param>
/// <param name="ClientSecrets">Its secrets, oldest first.</param>
public sealed record ClientSecretList(
    [property: JsonPropertyName("client_id")] string ClientId,
    [property: JsonPropertyName("client_secrets")] IReadOnlyList<ClientSecretInfo> ClientSecrets);

/// <summary>A secret just added: the only time its plaintext is returned.</summary>
/// <param name="ClientSecret">The plaintext secret.</param>
/// <param name="Uuid">Its id.</param>
/// <param name="CreatedAtMs">Creation time, epoch ms string.</param>
/// <param name="ExpiresAtMs">Expiry, epoch ms string or <c>PERMANENT</c>.</param>
public sealed record NewClientSecret(
    [property: JsonPropertyName("client_secret")] string ClientSecret,
    [property: JsonPropertyName("uuid")] string Uuid,
    [property: JsonPropertyName("created_at")] string? CreatedAtMs,
    [property: JsonPropertyName("expires_at")] string? ExpiresAtMs)
{
    /// <inheritdoc />
    public override string ToString() => $"secret {Uuid}"; // never the plaintext
}

/// <summary>An organization (docs/console.md#endpoints).</summary>
/// <param name="Id">The AMS org id (numeric string) used in Console paths.</param>
/// <param name="Code">The IMS org code.</param>
/// <param name="Name">Display name.</param>
/// <param name="Description">Description.</param>
/// <param name="Type">Org type.</param>
/// <param name="Role">The caller's role.</param>
public sealed record ConsoleOrganization(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("code")] string? Code,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("role")] string? Role);

/// <summary>A project (docs/console.md#endpoints).</summary>
/// <param name="Id">Project id.</param>
/// <param name="Name">Name.</param>
/// <param name="Title">Title.</param>
/// <param name="Description">Description.</param>
/// <param name="Type">Type (<c>default</c> or <c>jaeger</c>).</param>
/// <param name="OrgId">Org id.</param>
/// <param name="DateCreated">Creation date as sent.</param>
/// <param name="Metadata">Extra data (workspaces).</param>
public sealed record ConsoleProject(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("description")] string? Description,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("org_id"), JsonConverter(typeof(Internal.StringOrNumberConverter))] string? OrgId,
    [property: JsonPropertyName("date_created"), JsonConverter(typeof(Internal.StringOrNumberConverter))] string? DateCreated,
    [property: JsonPropertyName("metadata")] JsonElement? Metadata);

/// <summary>The answer to creating a project.</summary>
/// <param name="ProjectId">The new project.</param>
/// <param name="ProjectType">Its type.</param>
/// <param name="WorkspaceId">Its default workspace.</param>
public sealed record CreatedProject(
    [property: JsonPropertyName("projectId")] string ProjectId,
    [property: JsonPropertyName("projectType")] string? ProjectType,
    [property: JsonPropertyName("workspaceId")] string? WorkspaceId);

/// <summary>A workspace (docs/console.md#endpoints).</summary>
/// <param name="Id">Workspace id.</param>
/// <param name="Name">Name.</param>
/// <param name="Title">Title.</param>
/// <param name="Description">Description.</param>
public sealed record ConsoleWorkspace(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("title")] string? Title,
    [property: JsonPropertyName("description")] string? Description);

/// <summary>The answer to creating a workspace.</summary>
/// <param name="ProjectId">The project.</param>
/// <param name="WorkspaceId">The new workspace.</param>
public sealed record CreatedWorkspace(
    [property: JsonPropertyName("projectId")] string? ProjectId,
    [property: JsonPropertyName("workspaceId")] string WorkspaceId);

/// <summary>A credential of a workspace (docs/console.md#endpoints).</summary>
/// <param name="WorkspaceId">Workspace id (<c>id_workspace</c>).</param>
/// <param name="Id">Credential id (<c>id_integration</c>).</param>
/// <param name="FlowType">Flow, <c>entp</c> for server-to-server.</param>
/// <param name="IntegrationType">Type, <c>oauth_server_to_server</c>.</param>
public sealed record WorkspaceCredential(
    [property: JsonPropertyName("id_workspace"), JsonConverter(typeof(Internal.StringOrNumberConverter))] string? WorkspaceId,
    [property: JsonPropertyName("id_integration"), JsonConverter(typeof(Internal.StringOrNumberConverter))] string Id,
    [property: JsonPropertyName("flow_type")] string? FlowType,
    [property: JsonPropertyName("integration_type")] string? IntegrationType);

/// <summary>The answer to creating an OAuth server-to-server credential.</summary>
/// <param name="Id">Credential id.</param>
/// <param name="ApiKey">Its client id.</param>
/// <param name="OrgId">Its org.</param>
/// <param name="ClientSecret">Kiln only: its first secret, returned this once.</param>
/// <param name="ProjectId">Project (org-level create).</param>
/// <param name="WorkspaceId">Workspace (org-level create).</param>
public sealed record CreatedCredential(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("apiKey")] string ApiKey,
    [property: JsonPropertyName("orgId")] string? OrgId,
    [property: JsonPropertyName("client_secret")] string? ClientSecret,
    [property: JsonPropertyName("projectId")] string? ProjectId,
    [property: JsonPropertyName("workspaceId")] string? WorkspaceId)
{
    /// <inheritdoc />
    public override string ToString() => $"credential {Id} ({ApiKey})";
}

/// <summary>An API a credential can subscribe to (docs/console.md#endpoints).</summary>
/// <param name="Code">The sdkCode, e.g. <c>FireflyAPI</c>.</param>
/// <param name="Name">Display name.</param>
/// <param name="Enabled">Whether it is enabled.</param>
/// <param name="Type">Service type.</param>
public sealed record ConsoleService(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("enabled")] bool? Enabled,
    [property: JsonPropertyName("type")] string? Type);

/// <summary>Subscription outcome.</summary>
/// <param name="SdkList">Subscribed services.</param>
/// <param name="ErrorList">Failures, if any.</param>
public sealed record SubscriptionResult(
    [property: JsonPropertyName("sdkList")] IReadOnlyList<string>? SdkList,
    [property: JsonPropertyName("errorList")] JsonElement? ErrorList);

/// <summary>Where a client id lives (<c>GET /console/clients/{clientId}/credential</c>).</summary>
/// <param name="OrgId">Org id.</param>
/// <param name="ProjectId">Project id.</param>
/// <param name="WorkspaceId">Workspace id.</param>
/// <param name="CredentialId">Credential id.</param>
/// <param name="ClientId">Client id.</param>
public sealed record CredentialLocation(
    [property: JsonPropertyName("org_id")] string OrgId,
    [property: JsonPropertyName("project_id")] string? ProjectId,
    [property: JsonPropertyName("workspace_id")] string? WorkspaceId,
    [property: JsonPropertyName("credential_id")] string CredentialId,
    [property: JsonPropertyName("client_id")] string? ClientId);

internal static class ConsoleTime
{
    public static DateTimeOffset? Parse(string? ms) =>
        long.TryParse(ms, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}
