namespace Kiln.Server.Data;

// Entities are persistence shapes only. API DTOs live next to their endpoints and never carry hashes.

public sealed class Org
{
    public long Id { get; set; }
    public required string Code { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    public string Type { get; set; } = "entp";
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Per-org Firefly rate limits; null means unlimited.</summary>
    public int? RateLimitPerMinute { get; set; }
    public int? RateLimitPerDay { get; set; }
    /// <summary>The image engine (docs/upstream.md#engines): null or <c>procedural</c>, or <c>upstream:&lt;name&gt;</c>.</summary>
    public string? Engine { get; set; }
}

public sealed class Project
{
    public long Id { get; set; }
    public long OrgId { get; set; }
    public required string Name { get; set; }
    public required string Title { get; set; }
    public string Description { get; set; } = "";
    public string Type { get; set; } = "default";
    public bool NotificationsEnabled { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ModifiedAt { get; set; }
    public string WhoCreated { get; set; } = "";
    public string WhoLastModified { get; set; } = "";
    /// <summary>Overrides the org's engine for this project's credentials; null: the org's.</summary>
    public string? Engine { get; set; }
}

public sealed class Workspace
{
    public long Id { get; set; }
    public long OrgId { get; set; }
    public long ProjectId { get; set; }
    public required string Name { get; set; }
    public string Title { get; set; } = "";
    public string Description { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ModifiedAt { get; set; }
    public string WhoCreated { get; set; } = "";
    public string WhoLastModified { get; set; } = "";
}

public sealed class Credential
{
    public long Id { get; set; }
    public long OrgId { get; set; }
    public long ProjectId { get; set; }
    public long WorkspaceId { get; set; }
    public required string Name { get; set; }
    public string Description { get; set; } = "";
    /// <summary>The public client id (Adobe's "API key"): 32 lower-case hex.</summary>
    public required string ClientId { get; set; }
    public required string TechnicalAccountId { get; set; }
    public bool Enabled { get; set; } = true;
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ModifiedAt { get; set; }
    public List<CredentialService> Services { get; set; } = [];
    public List<ClientSecret> Secrets { get; set; } = [];
}

public sealed class CredentialService
{
    public long CredentialId { get; set; }
    public required string SdkCode { get; set; }
    public DateTimeOffset SubscribedAt { get; set; }
}

public sealed class ClientSecret
{
    /// <summary>32 lower-case hex, the secret's public identifier.</summary>
    public required string Uuid { get; set; }
    public long CredentialId { get; set; }
    /// <summary>HMAC-SHA256 of the secret under the server's pepper (see <c>SecretHasher</c>).</summary>
    public required byte[] Hash { get; set; }
    /// <summary>The first characters of the secret, safe to show ("kiln_s2s_Ab3…").</summary>
    public required string Hint { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
    public DateTimeOffset? LastUsedAt { get; set; }
    public string? LastGrantType { get; set; }
}

public sealed class SigningKey
{
    public required string Kid { get; set; }
    public required string Algorithm { get; set; }
    /// <summary>PKCS#8 private key, wrapped under the key-encryption key (Core/KeyEncryption.cs); plaintext only in databases from before keys at rest.</summary>
    public required byte[] PrivateKey { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When the key stopped signing; it still verifies until <see cref="RetiredAt"/> + token lifetime.</summary>
    public DateTimeOffset? RetiredAt { get; set; }
}

public sealed class RevokedToken
{
    public required string Jti { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset RevokedAt { get; set; }
}

public sealed class AuditRecord
{
    public long Id { get; set; }
    public long? OrgId { get; set; }
    /// <summary>
    /// The project the record is about (a project, or a workspace, credential, secret or quota in it); null when it is
    /// about the org only, or about a credential deleted before the column existed (docs/console-ui.md#audit-log).
    /// </summary>
    public long? ProjectId { get; set; }
    public DateTimeOffset At { get; set; }
    /// <summary>user, credential or system.</summary>
    public required string ActorType { get; set; }
    public required string Actor { get; set; }
    public required string Action { get; set; }
    public string Target { get; set; } = "";
    public string Detail { get; set; } = "";
    public string SourceIp { get; set; } = "";
    /// <summary>How many events this record stands for (failed token attempts are aggregated).</summary>
    public int Count { get; set; } = 1;
}

/// <summary>Server-wide settings that must survive restarts (for example the secret-hashing pepper).</summary>
public sealed class ServerSetting
{
    public required string Key { get; set; }
    public required string Value { get; set; }
}
