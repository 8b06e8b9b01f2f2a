using Kiln.Client;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Firefly;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Upstream;

/// <summary>How a rotation ended: what <c>kiln upstream rotate</c> prints.</summary>
public sealed record UpstreamRotationResult(string Name, bool Succeeded, string Message, string? NextAction, IReadOnlyList<string> Steps);

/// <summary>
/// Rotates an upstream profile's client secret with <see cref="SecretRotator"/> and the upstream's I/O Management API
/// (docs/upstream.md#rotation): add a secret, prove it mints a token, store it (wrapped) as the profile's current
/// secret with the old one kept as previous, wait until the old one is idle, delete it, forget it. Exactly one node
/// rotates a profile at a time: the claim is one conditional UPDATE of the profile's lease columns, atomic on SQLite and
/// PostgreSQL alike. Every node reads the profile's secret version on each request, so all of them switch to the new
/// secret before the old one is deleted; a token the old secret minted that the upstream then rejects is renewed once
/// (the token provider's 401 renewal), so no request fails.
/// </summary>
public sealed class UpstreamRotation(
    IServiceScopeFactory scopes, UpstreamClients clients, JobStore jobs, TimeProvider clock, IOptions<UpstreamOptions> options,
    ILoggerFactory logs)
{
    private static readonly TimeSpan Lease = TimeSpan.FromHours(2);

    /// <summary>The message for a credential that may not manage its secrets: it names the missing scopes.</summary>
    public static string MissingScope(string name, TokenResult r) =>
        $"The upstream '{name}' cannot rotate its secret: its credential could not get the I/O Management API scopes "
        + $"({KilnClientOptions.IoManagementScopes}); IMS answered {r.Error}: {r.ErrorDescription}. Subscribe the credential to the "
        + "I/O Management API (it grants adobeio_api, read_client_secret and manage_client_secrets), then run again.";

    public async Task<UpstreamRotationResult> RotateAsync(long orgId, string name, string actor, CancellationToken ct)
    {
        var steps = new List<string>();
        UpstreamProfile? p;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            p = await db.UpstreamProfiles.AsNoTracking().FirstOrDefaultAsync(x => x.OrgId == orgId && x.Name == name, ct);
            if (p is null) return new(name, false, $"No upstream profile named '{name}'", null, steps);
            if (p.UpstreamOrgId is null || p.UpstreamCredentialId is null)
                return new(name, false, $"The upstream '{name}' has no upstream org id and credential id, which rotation needs",
                    $"Set them: `kiln upstream add {name} --replace --upstream-org ID --upstream-credential ID`.", steps);
            var now = clock.GetUtcNow();
            var claimed = await db.UpstreamProfiles
                .Where(x => x.Id == p.Id && (x.RotationLeaseUntil == null || x.RotationLeaseUntil < now))
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.RotationLeaseOwner, jobs.Node).SetProperty(x => x.RotationLeaseUntil, now + Lease), ct);
            if (claimed == 0)
                return new(name, false, $"The upstream '{name}' is being rotated already (by {p.RotationLeaseOwner})", "Wait for that rotation to finish.", steps);
        }
        var log = logs.CreateLogger<UpstreamRotation>();
        log.LogInformation("Rotating the client secret of upstream {Upstream} (org {OrgId}) for {Actor}", name, orgId, actor);
        UpstreamRotationResult result;
        try
        {
            result = await RunAsync(p, steps, log, ct);
        }
        finally
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            await db.UpstreamProfiles.Where(x => x.Id == p.Id && x.RotationLeaseOwner == jobs.Node)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.RotationLeaseOwner, (string?)null).SetProperty(x => x.RotationLeaseUntil, (DateTimeOffset?)null), CancellationToken.None);
        }
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            var now = clock.GetUtcNow();
            var message = result.Message;
            DateTimeOffset? stamp = result.Succeeded ? now : p.LastRotatedAt;
            await db.UpstreamProfiles.Where(x => x.Id == p.Id).ExecuteUpdateAsync(u => u
                .SetProperty(x => x.LastRotationMessage, message).SetProperty(x => x.LastRotatedAt, stamp), CancellationToken.None);
            Actor.System.Audit(db, clock, AuditScope.Org(orgId), result.Succeeded ? "upstream.rotate" : "upstream.rotate_failed", name, message);
            await db.SaveChangesAsync(CancellationToken.None);
        }
        if (result.Succeeded) log.LogInformation("Upstream {Upstream}: {Message}", name, result.Message);
        else log.LogWarning("Upstream {Upstream}: rotation failed: {Message}", name, result.Message);
        return result;
    }

    private async Task<UpstreamRotationResult> RunAsync(UpstreamProfile p, List<string> steps, ILogger log, CancellationToken ct)
    {
        var secrets = clients.Secrets(p);
        var o = clients.OptionsFor(p, secrets);
        o.ConsoleScopes = KilnClientOptions.IoManagementScopes;
        o.TimeProvider = clock;
        using var tokens = clients.Provider(p, o);
        var io = await tokens.TryRequestTokenAsync(secrets[0], KilnClientOptions.IoManagementScopes, ct);
        if (!io.IsSuccess)
        {
            var message = io.Error == "invalid_scope" ? MissingScope(p.Name, io)
                : $"The upstream '{p.Name}' did not mint a token for rotation ({io.Error}: {io.ErrorDescription})";
            return new(p.Name, false, message, $"Check the profile with `kiln upstream test {p.Name}`.", steps);
        }
        using var http = clients.Authenticated(p, tokens, o, UpstreamMeter.ConsoleApi);
        var console = new ConsoleClient(http, o);
        var rotator = new SecretRotator(console, tokens, o, logs.CreateLogger<SecretRotator>());
        var store = new CallbackSecretStore((secret, c) => StoreAsync(p, secret, c));
        var rotation = new SecretRotationOptions
        {
            OrgId = p.UpstreamOrgId!, CredentialId = p.UpstreamCredentialId!, Store = store,
            IdleWindow = options.Value.RotationIdleWindow, Deadline = options.Value.RotationDeadline, PollInterval = options.Value.RotationPollInterval,
            DeleteAtDeadline = true,
        };
        var progress = new Progress<RotationStep>(s => { lock (steps) steps.Add($"{s.Kind} {s.Status}: {s.Message}"); });
        var r = await rotator.RotateAsync(rotation, progress, ct);
        if (r.Succeeded || r.FailedStep == RotationStepKind.DeleteOldSecret || r.FailedStep == RotationStepKind.WaitForIdle)
            await ForgetPreviousAsync(p.Id, r.Succeeded, ct);
        return new(p.Name, r.Succeeded, r.Message, r.NextAction, steps);
    }

    /// <summary>The store step: the new secret becomes current, the old one previous; every node picks it up on its next request.</summary>
    private async Task StoreAsync(UpstreamProfile p, string secret, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var row = await db.UpstreamProfiles.FirstAsync(x => x.Id == p.Id, ct);
        row.PreviousSecretWrapped = row.SecretWrapped;
        row.SecretWrapped = clients.Wrap(p.Id, secret);
        row.SecretVersion++;
        row.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
    }

    /// <summary>After the old secret was deleted upstream (or could not be), only the new one is kept.</summary>
    private async Task ForgetPreviousAsync(string id, bool deleted, CancellationToken ct)
    {
        if (!deleted) return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        var now = clock.GetUtcNow();
        await db.UpstreamProfiles.Where(x => x.Id == id).ExecuteUpdateAsync(u => u
            .SetProperty(x => x.PreviousSecretWrapped, (string?)null).SetProperty(x => x.SecretVersion, x => x.SecretVersion + 1).SetProperty(x => x.UpdatedAt, now), ct);
    }

    /// <summary>Rotates every profile whose schedule is due (<see cref="UpstreamProfile.RotateEveryDays"/>); the lease keeps it to one node.</summary>
    public async Task RotateDueAsync(CancellationToken ct)
    {
        List<(long OrgId, string Name)> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            var rows = await db.UpstreamProfiles.AsNoTracking().Where(x => x.RotateEveryDays != null && x.UpstreamCredentialId != null)
                .Select(x => new { x.OrgId, x.Name, x.RotateEveryDays, x.LastRotatedAt, x.CreatedAt }).ToListAsync(ct);
            var now = clock.GetUtcNow();
            due = rows.Where(x => (x.LastRotatedAt ?? x.CreatedAt) + TimeSpan.FromDays(x.RotateEveryDays!.Value) <= now).Select(x => (x.OrgId, x.Name)).ToList();
        }
        foreach (var (org, name) in due) await RotateAsync(org, name, "schedule", ct);
    }
}

/// <summary>Each node checks now and then for due scheduled rotations (docs/upstream.md#rotation).</summary>
public sealed class UpstreamRotationSchedule(UpstreamRotation rotation, TimeProvider clock, IOptions<UpstreamOptions> options, ILogger<UpstreamRotationSchedule> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stop) => PeriodicLoop.RunAsync(clock, options.Value.RotationCheckInterval,
        rotation.RotateDueAsync, e => log.LogWarning("Scheduled upstream rotation check failed: {Error}", e.Message), stop);
}
