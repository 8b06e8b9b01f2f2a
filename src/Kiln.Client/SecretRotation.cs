namespace Kiln.Client;

/// <summary>The steps of a rotation, in order.</summary>
public enum RotationStepKind
{
    /// <summary>Add a new secret to the credential.</summary>
    AddSecret,
    /// <summary>Mint a token with the new secret.</summary>
    ProveSecret,
    /// <summary>Hand the new secret to the <see cref="ISecretStore"/>.</summary>
    StoreSecret,
    /// <summary>Wait until the old secret is idle (or the deadline).</summary>
    WaitForIdle,
    /// <summary>Delete the old secret.</summary>
    DeleteOldSecret,
    /// <summary>Undo: delete the new secret again after a failure.</summary>
    Cleanup,
}

/// <summary>The state of a step.</summary>
public enum RotationStepStatus
{
    /// <summary>The step began.</summary>
    Started,
    /// <summary>The step is waiting (the message says on what).</summary>
    Waiting,
    /// <summary>The step finished.</summary>
    Succeeded,
    /// <summary>The step failed.</summary>
    Failed,
}

/// <summary>One progress report of <see cref="SecretRotator"/>.</summary>
/// <param name="Kind">The step.</param>
/// <param name="Status">Its state.</param>
/// <param name="Message">What happened, for people. Never contains a secret.</param>
public sealed record RotationStep(RotationStepKind Kind, RotationStepStatus Status, string Message);

/// <summary>What to rotate and how patiently.</summary>
public sealed class SecretRotationOptions
{
    /// <summary>The org id (numeric string).</summary>
    public required string OrgId { get; init; }

    /// <summary>The credential id.</summary>
    public required string CredentialId { get; init; }

    /// <summary>Receives the new secret. It must be durable before the old secret is deleted.</summary>
    public required ISecretStore Store { get; init; }

    /// <summary>The secret to retire; default every secret that existed before the rotation.</summary>
    public string? OldSecretUuid { get; init; }

    /// <summary>The old secret counts as idle once its <c>last_used_at</c> is at least this old. Default 10 minutes.</summary>
    public TimeSpan IdleWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The longest wait for the old secret to go idle. Default 1 hour.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often the secret list is polled while waiting. Default 30 seconds.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Delete the old secret at the deadline even if it is still in use (clients with fallback recover on 401). Default false.</summary>
    public bool DeleteAtDeadline { get; init; }

    /// <summary>The scopes the proof token asks for; default <see cref="KilnClientOptions.ConsoleScopes"/>.</summary>
    public string? ProofScopes { get; init; }
}

/// <summary>The outcome of a rotation. On failure a working secret is always left in place; <see cref="NextAction"/> says what to do.</summary>
public sealed class SecretRotationResult
{
    /// <summary>True when the old secret was deleted and the new one is stored.</summary>
    public bool Succeeded { get; init; }

    /// <summary>The step that failed, or null on success.</summary>
    public RotationStepKind? FailedStep { get; init; }

    /// <summary>The new secret's uuid, when it exists on the server after the run.</summary>
    public string? NewSecretUuid { get; init; }

    /// <summary>The secrets deleted by the run.</summary>
    public IReadOnlyList<string> DeletedSecretUuids { get; init; } = [];

    /// <summary>The secrets still valid on the server after the run, as far as the rotator knows.</summary>
    public IReadOnlyList<string> RemainingSecretUuids { get; init; } = [];

    /// <summary>What happened.</summary>
    public required string Message { get; init; }

    /// <summary>What to do next (empty on success).</summary>
    public string NextAction { get; init; } = "";
}
