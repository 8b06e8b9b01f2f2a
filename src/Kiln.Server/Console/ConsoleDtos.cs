using System.Text.Json.Serialization;
using Kiln.Server.Data;
using J = System.Text.Json.Serialization.JsonPropertyNameAttribute;

namespace Kiln.Server.Console;

// Wire shapes of docs/console.md#endpoints. Entities never leave the server; these records do.

public sealed record OrgDto(
    [property: J("id")] string Id, [property: J("code")] string Code, [property: J("name")] string Name,
    [property: J("description")] string Description, [property: J("type")] string Type,
    [property: J("role")] string Role, [property: J("roles")] IReadOnlyList<string> Roles);

public sealed record WorkspaceRefDto([property: J("id")] string Id, [property: J("name")] string Name, [property: J("runtime")] bool Runtime);

public sealed record ProjectMetadataDto([property: J("workspaces")] IReadOnlyList<WorkspaceRefDto> Workspaces);

public sealed record ProjectDto(
    [property: J("id")] string Id, [property: J("name")] string Name, [property: J("title")] string Title,
    [property: J("description")] string Description, [property: J("type")] string Type,
    [property: J("enabled")] bool Enabled, [property: J("deleted")] bool Deleted, [property: J("org_id")] string OrgId,
    [property: J("date_created")] string DateCreated, [property: J("date_last_modified")] string DateLastModified,
    [property: J("who_created")] string WhoCreated, [property: J("who_last_modified")] string WhoLastModified,
    [property: J("notifications_enabled")] bool NotificationsEnabled,
    [property: J("metadata"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ProjectMetadataDto? Metadata);

public sealed record NewProjectDto([property: J("projectId")] string ProjectId, [property: J("projectType")] string ProjectType,
    [property: J("workspaceId")] string WorkspaceId);

public sealed record WorkspaceDto(
    [property: J("id")] string Id, [property: J("name")] string Name, [property: J("title")] string Title,
    [property: J("description")] string Description, [property: J("quota_usage")] int QuotaUsage,
    [property: J("enabled")] bool Enabled, [property: J("runtime_enabled")] bool RuntimeEnabled,
    [property: J("date_created")] string DateCreated, [property: J("date_last_modified")] string DateLastModified,
    [property: J("who_created")] string WhoCreated, [property: J("who_last_modified")] string WhoLastModified);

public sealed record NewWorkspaceDto([property: J("projectId")] string ProjectId, [property: J("workspaceId")] string WorkspaceId);

public sealed record WorkspaceCredentialDto(
    [property: J("id_workspace")] string IdWorkspace, [property: J("id_integration")] string IdIntegration,
    [property: J("flow_type")] string FlowType, [property: J("integration_type")] string IntegrationType,
    [property: J("credential_type")] string CredentialType, [property: J("name")] string Name, [property: J("client_id")] string ClientId);

public sealed record WorkspaceCredentialCreatedDto([property: J("id")] string Id, [property: J("apiKey")] string ApiKey,
    [property: J("orgId")] string OrgId, [property: J("client_secret")] string ClientSecret);

public sealed record SubscriptionErrorDto([property: J("sdkCode")] string SdkCode, [property: J("message")] string Message);

public sealed record SubscriptionResultDto([property: J("sdkList")] IReadOnlyList<string> SdkList,
    [property: J("errorList"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<SubscriptionErrorDto>? ErrorList);

public sealed record OrgCredentialCreatedDto(
    [property: J("id")] string Id, [property: J("apiKey")] string ApiKey, [property: J("orgId")] string OrgId,
    [property: J("technicalAccountId")] string TechnicalAccountId, [property: J("projectId")] string ProjectId,
    [property: J("workspaceId")] string WorkspaceId, [property: J("subscriptionResult")] SubscriptionResultDto SubscriptionResult,
    [property: J("client_secret")] string ClientSecret);

public sealed record LicenseConfigsDto([property: J("licenseConfigs")] IReadOnlyList<object> LicenseConfigs);

public sealed record ServiceDto(
    [property: J("name")] string Name, [property: J("code")] string Code, [property: J("description")] string Description,
    [property: J("enabled")] bool Enabled, [property: J("type")] string Type, [property: J("platformList")] IReadOnlyList<string> PlatformList,
    [property: J("docsUrl")] string? DocsUrl, [property: J("properties")] LicenseConfigsDto Properties,
    [property: J("requiresApproval")] bool RequiresApproval, [property: J("entitledForOrg")] bool EntitledForOrg,
    [property: J("disabledReasons")] IReadOnlyList<string> DisabledReasons, [property: J("scopes")] IReadOnlyList<string> Scopes);

public sealed record ServiceRefDto([property: J("code")] string Code, [property: J("name")] string Name);

public sealed record CredentialMetadataDto([property: J("name")] string Name, [property: J("description")] string Description,
    [property: J("technical_account_id")] string TechnicalAccountId);

public sealed record ClientCredentialDto(
    [property: J("org_id")] string OrgId, [property: J("org_code")] string OrgCode, [property: J("project_id")] string ProjectId,
    [property: J("workspace_id")] string WorkspaceId, [property: J("credential_id")] string CredentialId,
    [property: J("client_id")] string ClientId, [property: J("flow_type")] string FlowType,
    [property: J("credential_type")] string CredentialType, [property: J("integration_type")] string IntegrationType,
    [property: J("metadata")] CredentialMetadataDto Metadata, [property: J("services")] IReadOnlyList<ServiceRefDto> Services);

public sealed record ProjectWorkspaceRefDto([property: J("projectId")] string ProjectId, [property: J("workspaceId")] string WorkspaceId,
    [property: J("credentialId")] string CredentialId);

public sealed record ServicePropertyDto([property: J("sdkCode")] string SdkCode, [property: J("name")] string Name,
    [property: J("scopes")] IReadOnlyList<string> Scopes, [property: J("roles")] IReadOnlyList<object> Roles,
    [property: J("licenseConfigs")] IReadOnlyList<object> LicenseConfigs);

public sealed record IntegrationDto(
    [property: J("id")] string Id, [property: J("apikey")] string ApiKey, [property: J("name")] string Name,
    [property: J("description")] string Description, [property: J("orgId")] string OrgId, [property: J("type")] string Type,
    [property: J("technicalAccountId")] string TechnicalAccountId, [property: J("technicalAccountEmail")] string TechnicalAccountEmail,
    [property: J("sdkList")] IReadOnlyList<string> SdkList, [property: J("serviceProperties")] IReadOnlyList<ServicePropertyDto> ServiceProperties,
    [property: J("status")] string Status, [property: J("createdDate")] long CreatedDate, [property: J("lastModifiedDate")] long LastModifiedDate,
    [property: J("projectId")] string ProjectId, [property: J("workspaceId")] string WorkspaceId);

/// <summary>An empty JSON object, for 200 answers that carry nothing (deletes).</summary>
public sealed record EmptyDto;

public static class ConsoleMapping
{
    public const string FlowType = "entp";
    public const string IntegrationType = "oauth_server_to_server";

    public static ProjectDto AsProjectDto(this Project p, IReadOnlyList<Workspace>? workspaces = null) => new(
        ConsoleJson.Str(p.Id), p.Name, p.Title, p.Description, p.Type, true, false, ConsoleJson.Str(p.OrgId),
        ConsoleJson.Iso(p.CreatedAt), ConsoleJson.Iso(p.ModifiedAt), p.WhoCreated, p.WhoLastModified, p.NotificationsEnabled,
        workspaces is null ? null : new ProjectMetadataDto(workspaces.Select(w => new WorkspaceRefDto(ConsoleJson.Str(w.Id), w.Name, false)).ToList()));

    public static WorkspaceDto AsWorkspaceDto(this Workspace w) => new(
        ConsoleJson.Str(w.Id), w.Name, w.Title, w.Description, 0, true, false,
        ConsoleJson.Iso(w.CreatedAt), ConsoleJson.Iso(w.ModifiedAt), w.WhoCreated, w.WhoLastModified);

    public static WorkspaceCredentialDto AsWorkspaceCredentialDto(this Credential c) => new(
        ConsoleJson.Str(c.WorkspaceId), ConsoleJson.Str(c.Id), FlowType, IntegrationType, IntegrationType, c.Name, c.ClientId);

    public static string TechnicalAccountEmail(this Credential c) => c.TechnicalAccountId.ToLowerInvariant();
}
