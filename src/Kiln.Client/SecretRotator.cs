using Kiln.Client.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Kiln.Client;

/// <summary>
/// Zero-downtime secret rotation: (1) add a new secret, (2) prove it by minting a token, (3) store it,
/// (4) wait until the old secret's <c>last_used_at</c> shows it idle for a window, or the deadline, (5) delete the old one.
/// Failure policy (the application is never left without a working secret):
/// add fails: nothing changed; prove or store fails: the new secret is deleted again, the old one stays in use;
/// the deadline passes: both secrets stay valid and the new one is stored; delete fails: both stay valid.
/// </summary>
public class SecretRotator
{
    private readonly ConsoleClient _console;
    private readonly ServerToServerTokenProvider _tokens;
    private readonly KilnClientOptions _options;

    /// <summary>Creates the rotator.</summary>
    /// <param name="console">The Console client (its token needs <c>manage_client_secrets</c>).</param>
    /// <param name="tokens">The provider; after the store step it is switched to the new secret.</param>
    /// <param name="options">The client options (clock, scopes).</param>
    public SecretRotator(ConsoleClient console, ServerToServerTokenProvider tokens, IOptions<KilnClientOptions> options)
        : this(console, tokens, (options ?? throw new ArgumentNullException(nameof(options))).Value) { }

    /// <summary>Creates the rotator.</summary>
    /// <param name="console">The Console client (its token needs <c>manage_client_secrets</c>).</param>
    /// <param name="tokens">The provider; after the store step it is switched to the new secret.</param>
    /// <param name="options">The client options (clock, scopes).</param>
    /// <param name="logger">Where each step is logged; none when null.</param>
    public SecretRotator(ConsoleClient console, ServerToServerTokenProvider tokens, KilnClientOptions options, ILogger<SecretRotator>? logger = null)
    {
        _console = console;
        _tokens = tokens;
        _options = options;
        _log = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>For mocking frameworks.</summary>
    protected SecretRotator()
    {
        _console = null!;
        _tokens = null!;
        _options = new KilnClientOptions();
        _log = NullLogger.Instance;
    }

    private readonly ILogger _log;

    /// <summary>Raised on every step change, like the progress reports.</summary>
    public event EventHandler<RotationStep>? StepChanged;

    /// <summary>Runs the rotation.</summary>
    /// <param name="rotation">What to rotate.</param>
    /// <param name="progress">Receives every step.</param>
    /// <param name="cancellationToken">Cancellation; a cancelled run leaves both secrets valid.</param>
    public virtual async Task<SecretRotationResult> RotateAsync(SecretRotationOptions rotation, IProgress<RotationStep>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rotation);
        var ct = cancellationToken;
        void Report(RotationStepKind k, RotationStepStatus s, string m)
        {
            var step = new RotationStep(k, s, m);
            Log.RotationStep(_log, rotation.CredentialId, k, s, m);
            progress?.Report(step);
            StepChanged?.Invoke(this, step);
        }
        var (org, cred) = (rotation.OrgId, rotation.CredentialId);

        // 1. Add.
        Report(RotationStepKind.AddSecret, RotationStepStatus.Started, "Adding a new client secret");
        ClientSecretList before;
        NewClientSecret added;
        try
        {
            before = await _console.ListSecretsAsync(org, cred, ct).ConfigureAwait(false);
            if (rotation.OldSecretUuid is { } o && before.ClientSecrets.All(s => s.Uuid != o))
                return Fail(RotationStepKind.AddSecret, $"Secret {o} is not a secret of credential {cred}.", "Check the uuid with `kiln secrets list`.", null, before);
            added = await _console.AddSecretAsync(org, cred, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Report(RotationStepKind.AddSecret, RotationStepStatus.Failed, e.Message);
            var limit = e is KilnApiException { ErrorCode: "secret_limit_reached" };
            return Fail(RotationStepKind.AddSecret, "Could not add a new secret; nothing was changed. " + e.Message,
                limit ? "The credential has the maximum number of secrets: delete the one no application uses (`kiln secrets delete <uuid>`), then run again."
                      : "Check the credential ids and that the token has manage_client_secrets, then run again.", null, null);
        }
        Report(RotationStepKind.AddSecret, RotationStepStatus.Succeeded, $"Added secret {added.Uuid}");
        var old = rotation.OldSecretUuid is { } one ? [one] : before.ClientSecrets.Select(s => s.Uuid).Where(u => u != added.Uuid).ToList();

        // 2. Prove.
        Report(RotationStepKind.ProveSecret, RotationStepStatus.Started, "Minting a token with the new secret");
        var proof = await _tokens.TryRequestTokenAsync(added.ClientSecret, rotation.ProofScopes ?? _options.ConsoleScopes, ct).ConfigureAwait(false);
        if (!proof.IsSuccess)
        {
            Report(RotationStepKind.ProveSecret, RotationStepStatus.Failed, $"{proof.Error}: {proof.ErrorDescription}");
            return await UndoAsync(org, cred, RotationStepKind.ProveSecret, $"The new secret could not mint a token ({proof.Error}: {proof.ErrorDescription}).", added, old, Report).ConfigureAwait(false);
        }
        Report(RotationStepKind.ProveSecret, RotationStepStatus.Succeeded, "The new secret mints tokens");

        // 3. Store.
        Report(RotationStepKind.StoreSecret, RotationStepStatus.Started, "Handing the new secret to the secret store");
        try { await rotation.Store.SaveAsync(added.ClientSecret, ct).ConfigureAwait(false); }
        catch (Exception e)
        {
            Report(RotationStepKind.StoreSecret, RotationStepStatus.Failed, e.Message);
            return await UndoAsync(org, cred, RotationStepKind.StoreSecret, "The secret store failed: " + e.Message, added, old, Report).ConfigureAwait(false);
        }
        _tokens.SetSecrets([added.ClientSecret]);
        Report(RotationStepKind.StoreSecret, RotationStepStatus.Succeeded, "The new secret is stored and in use here");

        // 4. Wait until the old secrets are idle.
        var clock = _options.TimeProvider;
        var deadline = clock.GetUtcNow() + rotation.Deadline;
        Report(RotationStepKind.WaitForIdle, RotationStepStatus.Started, $"Waiting until the old secret is unused for {rotation.IdleWindow}");
        while (true)
        {
            string? busy;
            try { busy = await BusyAsync(org, cred, old, rotation.IdleWindow, ct).ConfigureAwait(false); }
            catch (HttpRequestException e) { busy = "status unknown: " + e.Message; } // a failed poll is not fatal
            if (busy is null) break;
            if (clock.GetUtcNow() >= deadline)
            {
                if (rotation.DeleteAtDeadline) { Report(RotationStepKind.WaitForIdle, RotationStepStatus.Succeeded, "Deadline reached; deleting as configured"); break; }
                Report(RotationStepKind.WaitForIdle, RotationStepStatus.Failed, "Deadline reached; " + busy);
                return Fail(RotationStepKind.WaitForIdle, $"The old secret was still in use at the deadline ({busy}). Both secrets stay valid; the new one is stored.",
                    $"Restart or reconfigure the applications still using the old secret, then delete it: `kiln secrets delete {string.Join(' ', old)}`.", added.Uuid, null, old);
            }
            Report(RotationStepKind.WaitForIdle, RotationStepStatus.Waiting, busy);
            try { await Task.Delay(rotation.PollInterval, clock, ct).ConfigureAwait(false); }
            catch (OperationCanceledException)
            {
                return Fail(RotationStepKind.WaitForIdle, "Cancelled while waiting. Both secrets stay valid; the new one is stored.",
                    $"Delete the old secret when it is unused: `kiln secrets delete {string.Join(' ', old)}`.", added.Uuid, null, old);
            }
        }
        Report(RotationStepKind.WaitForIdle, RotationStepStatus.Succeeded, "The old secret is idle");

        // 5. Delete the old secrets.
        var deleted = new List<string>();
        foreach (var uuid in old)
        {
            Report(RotationStepKind.DeleteOldSecret, RotationStepStatus.Started, $"Deleting old secret {uuid}");
            try { await _console.DeleteSecretAsync(org, cred, uuid, cancellationToken: ct).ConfigureAwait(false); }
            catch (KilnApiException e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                Report(RotationStepKind.DeleteOldSecret, RotationStepStatus.Succeeded, $"Old secret {uuid} was already gone");
                continue;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Report(RotationStepKind.DeleteOldSecret, RotationStepStatus.Failed, e.Message);
                return new SecretRotationResult
                {
                    FailedStep = RotationStepKind.DeleteOldSecret, NewSecretUuid = added.Uuid, DeletedSecretUuids = deleted,
                    RemainingSecretUuids = [added.Uuid, .. old.Except(deleted)],
                    Message = $"Could not delete old secret {uuid}: {e.Message}. The new secret is stored and works; the old one is still valid.",
                    NextAction = $"Delete it when possible: `kiln secrets delete {uuid}`.",
                };
            }
            deleted.Add(uuid);
            Report(RotationStepKind.DeleteOldSecret, RotationStepStatus.Succeeded, $"Deleted old secret {uuid}");
        }
        return new SecretRotationResult
        {
            Succeeded = true, NewSecretUuid = added.Uuid, DeletedSecretUuids = deleted, RemainingSecretUuids = [added.Uuid],
            Message = $"Rotated: secret {added.Uuid} is stored and in use; deleted {(deleted.Count == 0 ? "nothing" : string.Join(", ", deleted))}.",
        };
    }

    /// <summary>A description of why an old secret is not idle yet, or null when all are idle.</summary>
    private async Task<string?> BusyAsync(string org, string cred, IReadOnlyList<string> old, TimeSpan window, CancellationToken ct)
    {
        var list = await _console.ListSecretsAsync(org, cred, ct).ConfigureAwait(false);
        var now = _options.TimeProvider.GetUtcNow();
        foreach (var s in list.ClientSecrets.Where(s => old.Contains(s.Uuid)))
            if (s.LastUsedAt is { } used && now - used < window)
                return $"secret {s.Uuid} last used {(now - used).TotalSeconds:0}s ago";
        return null;
    }

    private async Task<SecretRotationResult> UndoAsync(string org, string cred, RotationStepKind failed, string why, NewClientSecret added, IReadOnlyList<string> old,
        Action<RotationStepKind, RotationStepStatus, string> report)
    {
        report(RotationStepKind.Cleanup, RotationStepStatus.Started, $"Deleting the new secret {added.Uuid} again; the old secret stays in use");
        try
        {
            await _console.DeleteSecretAsync(org, cred, added.Uuid, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            report(RotationStepKind.Cleanup, RotationStepStatus.Failed, e.Message);
            return Fail(failed, why + $" The new secret {added.Uuid} could not be deleted again ({e.Message}); it is unused.",
                $"Delete it (`kiln secrets delete {added.Uuid}`), fix the cause, then run again. The old secret still works.", added.Uuid, null, old);
        }
        report(RotationStepKind.Cleanup, RotationStepStatus.Succeeded, "Removed the new secret; nothing else changed");
        return Fail(failed, why + " The new secret was deleted again; the old secret is unchanged and still works.",
            failed == RotationStepKind.StoreSecret ? "Fix the secret store (path, permissions, callback), then run again." : "Check the credential's services and scopes, then run again.",
            null, null, old);
    }

    private static SecretRotationResult Fail(RotationStepKind step, string message, string next, string? newUuid, ClientSecretList? before, IReadOnlyList<string>? old = null) => new()
    {
        FailedStep = step, Message = message, NextAction = next, NewSecretUuid = newUuid,
        RemainingSecretUuids = [.. (newUuid is null ? [] : new[] { newUuid }), .. old ?? before?.ClientSecrets.Select(s => s.Uuid) ?? []],
    };
}
