using J = System.Text.Json.Serialization.JsonPropertyNameAttribute;

namespace Kiln.Server.Console;

// Request bodies of docs/console.md#endpoints. Everything is nullable: the handlers check presence and say what is missing.

public sealed record ProjectCreateRequest(string? Name, string? Title, string? Description, string? Type,
    [property: J("who_created")] string? WhoCreated, string? TemplateId);

public sealed record ProjectPatchRequest(string? Name, string? Title, string? Description,
    [property: J("notifications_enabled")] bool? NotificationsEnabled);

public sealed record WorkspaceRequest(string? Name, string? Title, string? Description, string? WhoLastModified);

/// <summary>One entry of a services array: <c>{sdkCode, atlasPlanCode?, licenseConfigs, roles}</c>; only sdkCode matters to Kiln.</summary>
public sealed record ServiceRequest(string? SdkCode, string? AtlasPlanCode);

/// <summary>
/// A services array as a body (<c>PUT …/services</c>): a named type because the compile-time request delegates
/// (docs/benchmarks.md#start-up) drop the nullability of a nested type argument such as <c>List&lt;ServiceRequest?&gt;</c>.
/// </summary>
public sealed class ServiceRequestList : List<ServiceRequest?>;

/// <summary>Credential create; <c>projectId</c>/<c>workspaceId</c> are Kiln extensions of the org-level create.</summary>
public sealed record CredentialCreateRequest(string? Name, string? Description, string? TemplateId, List<ServiceRequest?>? Services,
    long? ProjectId, long? WorkspaceId);

/// <summary>Credential edit (a Kiln extension): a new <c>name</c>, a new <c>description</c>, or both; an absent field stays as it is.</summary>
public sealed record CredentialPatchRequest(string? Name, string? Description);

public sealed record MemberAddRequest(string? Email, string? Role);

public sealed record MemberPatchRequest(string? Role);
