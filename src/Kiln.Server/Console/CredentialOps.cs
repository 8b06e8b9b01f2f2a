using System.Text.RegularExpressions;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>A credential just made: its first secret's plaintext is here and nowhere else, ever.</summary>
public sealed record NewCredential(Credential Credential, string ClientSecret, SubscriptionResultDto Subscription);

/// <summary>
/// OAuth server-to-server credentials (see <see cref="ProjectOps"/> for the conventions). Names are unique per org:
/// checked and written under the org's lock. The first secret comes from <see cref="ClientSecrets"/>.
/// </summary>
public sealed partial class CredentialOps(KilnDb db, TimeProvider clock, ClientSecrets secrets, CredentialCache cache, TokenIssuer issuer,
    ProjectOps projects)
{
    public Task<Credential?> FindAsync(long orgId, long credentialId, CancellationToken ct) =>
        db.Credentials.AsNoTracking().Include(c => c.Services).FirstOrDefaultAsync(c => c.Id == credentialId && c.OrgId == orgId, ct);

    /// <summary>Creates a credential in a workspace, with one secret and the given API subscriptions.</summary>
    public async Task<OpResult<NewCredential>> CreateAsync(Actor actor, Workspace workspace, string? name, string? description,
        IReadOnlyList<string> sdkCodes, CancellationToken ct)
    {
        (name, description) = (TextRules.NfcOrNull(name), TextRules.NfcOrNull(description));
        var bad = ProjectOps.TextProblem(name, "name", 100, true) ?? ProjectOps.TextProblem(description, "description", 1000, false);
        if (bad is not null || name is null) return bad ?? OpError.BadRequest("name is required");
        await using var tx = await db.LockOrgAsync(workspace.OrgId, ct);
        return await AddLockedAsync(actor, workspace, name.Trim(), description ?? "", sdkCodes, tx, ct);
    }

    /// <summary>
    /// The org-level create: in the given project/workspace, or (none given) in a new project named after the
    /// credential, with its Production workspace.
    /// </summary>
    public async Task<OpResult<NewCredential>> CreateInOrgAsync(Actor actor, long orgId, long? projectId, long? workspaceId,
        string? name, string? description, IReadOnlyList<string> sdkCodes, CancellationToken ct)
    {
        (name, description) = (TextRules.NfcOrNull(name), TextRules.NfcOrNull(description));
        var bad = ProjectOps.TextProblem(name, "name", 100, true) ?? ProjectOps.TextProblem(description, "description", 1000, false);
        if (bad is not null || name is null) return bad ?? OpError.BadRequest("name is required");
        name = name.Trim();
        await using var tx = await db.LockOrgAsync(orgId, ct);
        if (await NameTakenAsync(orgId, name, ct) is { } taken) return taken;
        Workspace? workspace;
        if (workspaceId is { } wid)
        {
            workspace = await db.Workspaces.AsNoTracking().FirstOrDefaultAsync(w => w.Id == wid && w.OrgId == orgId && (projectId == null || w.ProjectId == projectId), ct);
            if (workspace is null) return OpError.NotFound("Workspace Not Found");
        }
        else if (projectId is { } pid)
        {
            workspace = await db.Workspaces.AsNoTracking().Where(w => w.ProjectId == pid && w.OrgId == orgId)
                .OrderBy(w => w.Name == ProjectOps.DefaultWorkspace ? 0 : 1).ThenBy(w => w.CreatedAt).FirstOrDefaultAsync(ct);
            if (workspace is null) return OpError.NotFound("Project Not Found");
        }
        else
        {
            var made = await projects.AddLockedAsync(actor, orgId, await FreeProjectNameAsync(orgId, name, ct), name, description ?? "", ct);
            if (made.Failed(out var error, out var created)) return error;
            workspace = created.Workspace;
        }
        return await AddLockedAsync(actor, workspace, name, description ?? "", sdkCodes, tx, ct);
    }

    /// <summary>Adds the credential with its first secret and saves, under the org's lock taken by the caller.</summary>
    private async Task<OpResult<NewCredential>> AddLockedAsync(Actor actor, Workspace workspace, string name, string description,
        IReadOnlyList<string> sdkCodes, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx, CancellationToken ct)
    {
        if (await NameTakenAsync(workspace.OrgId, name, ct) is { } taken) return taken;
        var now = clock.GetUtcNow();
        var cred = NewEntities.NewCredential(workspace.OrgId, workspace.ProjectId, workspace.Id, name, now);
        cred.Description = description;
        var (known, errors) = Split(sdkCodes);
        foreach (var code in known) cred.Services.Add(new CredentialService { SdkCode = code, SubscribedAt = now });
        db.Credentials.Add(cred);
        actor.Audit(db, clock, AuditScope.Of(cred), "credential.create", $"credential:{cred.Id}", $"{name}; services: {string.Join(',', known)}");
        var plaintext = secrets.AddFirst(db, cred, actor);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return new NewCredential(cred, plaintext, new SubscriptionResultDto(known, errors));
    }

    private async Task<OpError?> NameTakenAsync(long orgId, string name, CancellationToken ct) =>
        await db.Credentials.AnyAsync(c => c.OrgId == orgId && c.Name == name, ct)
            ? OpError.Conflict(ProjectOps.DuplicateName, $"A credential named '{name}' already exists in this organization.")
            : null;

    /// <summary>Renames a credential and sets its description; names stay unique per org (checked under the org's lock).</summary>
    public async Task<OpResult<Credential>> UpdateAsync(Actor actor, long orgId, long credentialId, string? name, string? description, CancellationToken ct)
    {
        (name, description) = (TextRules.NfcOrNull(name), TextRules.NfcOrNull(description));
        var bad = ProjectOps.TextProblem(name, "name", 100, true) ?? ProjectOps.TextProblem(description, "description", 1000, false);
        if (bad is not null || name is null) return bad ?? OpError.BadRequest("name is required");
        name = name.Trim();
        await using var tx = await db.LockOrgAsync(orgId, ct);
        var cred = await db.Credentials.FirstOrDefaultAsync(c => c.Id == credentialId && c.OrgId == orgId, ct);
        if (cred is null) return OpError.NotFound("Credential Not Found");
        if (name != cred.Name && await NameTakenAsync(orgId, name, ct) is { } taken) return taken;
        var was = cred.Name;
        cred.Name = name;
        cred.Description = description ?? cred.Description;
        cred.ModifiedAt = clock.GetUtcNow();
        actor.Audit(db, clock, AuditScope.Of(cred), "credential.update", $"credential:{cred.Id}",
            was == name ? $"Credential {name}: description changed" : $"Credential {was} renamed to {name}");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return cred;
    }

    /// <summary>Deletes a credential with its secrets (irreversible) and revokes its tokens at once.</summary>
    public async Task<bool> DeleteAsync(Actor actor, long orgId, long credentialId, long? workspaceId, CancellationToken ct)
    {
        var cred = await db.Credentials.FirstOrDefaultAsync(c => c.Id == credentialId && c.OrgId == orgId && (workspaceId == null || c.WorkspaceId == workspaceId), ct);
        if (cred is null) return false;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var secretCount = await db.ClientSecrets.Where(s => s.CredentialId == credentialId).ExecuteDeleteAsync(ct);
        await db.CredentialServices.Where(s => s.CredentialId == credentialId).ExecuteDeleteAsync(ct);
        db.Credentials.Remove(cred);
        actor.Audit(db, clock, AuditScope.Of(cred), "credential.delete", $"credential:{credentialId}",
            $"Credential {cred.Name} deleted with {secretCount} client secret{(secretCount == 1 ? "" : "s")}; its tokens were revoked");
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        cache.Invalidate(cred.ClientId);
        return true;
    }

    /// <summary>Replaces the credential's subscriptions with the known codes among <paramref name="sdkCodes"/>.</summary>
    public Task<OpResult<SubscriptionResultDto>> SetServicesAsync(Actor actor, long orgId, long credentialId, IReadOnlyList<string> sdkCodes,
        CancellationToken ct) =>
        ChangeAsync(actor, orgId, credentialId, sdkCodes, (current, known) => known, "credential.services.set", ct);

    public Task<OpResult<SubscriptionResultDto>> SubscribeAsync(Actor actor, long orgId, long credentialId, string sdkCode, CancellationToken ct) =>
        ChangeAsync(actor, orgId, credentialId, [sdkCode], (current, known) => [.. current.Union(known)], "credential.services.subscribe", ct);

    public Task<OpResult<SubscriptionResultDto>> UnsubscribeAsync(Actor actor, long orgId, long credentialId, string sdkCode, CancellationToken ct) =>
        ChangeAsync(actor, orgId, credentialId, [sdkCode], (current, known) => [.. current.Except(known)], "credential.services.unsubscribe", ct);

    /// <summary>Subscriptions decide the scopes a credential can get; the cache is invalidated so the next token request sees the change.</summary>
    private async Task<OpResult<SubscriptionResultDto>> ChangeAsync(Actor actor, long orgId, long credentialId, IReadOnlyList<string> sdkCodes,
        Func<IReadOnlyList<string>, IReadOnlyList<string>, IReadOnlyList<string>> next, string action, CancellationToken ct)
    {
        var cred = await db.Credentials.Include(c => c.Services).FirstOrDefaultAsync(c => c.Id == credentialId && c.OrgId == orgId, ct);
        if (cred is null) return OpError.NotFound("Credential Not Found");
        var (known, errors) = Split(sdkCodes);
        var current = cred.Services.Select(s => s.SdkCode).ToList();
        var wanted = next(current, known).ToHashSet(StringComparer.Ordinal);
        var now = clock.GetUtcNow();
        cred.Services.RemoveAll(s => !wanted.Contains(s.SdkCode));
        foreach (var code in wanted.Where(c => !current.Contains(c)))
            cred.Services.Add(new CredentialService { CredentialId = cred.Id, SdkCode = code, SubscribedAt = now });
        cred.ModifiedAt = now;
        var list = Services.All.Select(s => s.Code).Where(wanted.Contains).ToList();
        actor.Audit(db, clock, AuditScope.Of(cred), action, $"credential:{cred.Id}", $"{string.Join(',', sdkCodes)} -> {string.Join(',', list)}");
        await db.SaveChangesAsync(ct);
        cache.Invalidate(cred.ClientId);
        return new SubscriptionResultDto(list, errors);
    }

    /// <summary>
    /// The UI's "Generate access token": a token for the credential with every scope its subscriptions grant, bound
    /// to its newest live secret (so that deleting that secret revokes the token, like any other). Audited.
    /// </summary>
    public async Task<OpResult<IssuedToken>> GenerateTokenAsync(Actor actor, long orgId, long credentialId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var row = await db.Credentials.Where(c => c.Id == credentialId && c.OrgId == orgId).Select(c => new { c.ClientId, c.ProjectId }).FirstOrDefaultAsync(ct);
        if (row is null || await cache.GetAsync(row.ClientId, ct) is not { Enabled: true } cred) return OpError.NotFound("Credential Not Found");
        var secret = (await db.ClientSecrets.AsNoTracking().Where(s => s.CredentialId == cred.Id).ToListAsync(ct))
            .Where(s => s.ExpiresAt is null || s.ExpiresAt > now).OrderByDescending(s => s.CreatedAt).FirstOrDefault();
        if (secret is null) return OpError.Conflict("no_secret", "The credential has no client secret; add one first.");
        if (cred.GrantedScopes.Count == 0) return OpError.Conflict("no_services", "The credential is subscribed to no API; add one first.");
        var token = issuer.Issue(new TokenSubject(cred.ClientId, cred.TechnicalAccountId, cred.OrgCode, cred.Id, secret.Uuid, cred.GrantedScopes));
        actor.Audit(db, clock, AuditScope.Project(orgId, row.ProjectId), "credential.token", $"credential:{cred.Id}", "generated in the console");
        await db.SaveChangesAsync(ct);
        return token;
    }

    /// <summary>Known service codes (canonical spelling) and an error entry for each unknown one.</summary>
    private static (List<string> Known, List<SubscriptionErrorDto> Errors) Split(IReadOnlyList<string> sdkCodes)
    {
        var known = new List<string>();
        var errors = new List<SubscriptionErrorDto>();
        foreach (var code in sdkCodes)
        {
            if (Services.Find(code) is { } s) { if (!known.Contains(s.Code)) known.Add(s.Code); }
            else errors.Add(new SubscriptionErrorDto(code, $"Unknown service '{code}'."));
        }
        return (known, errors);
    }

    [GeneratedRegex("[^A-Za-z0-9_-]+")]
    private static partial Regex NotNameChars();

    private async Task<string> FreeProjectNameAsync(long orgId, string credentialName, CancellationToken ct)
    {
        var stem = NotNameChars().Replace(credentialName.Trim(), "-").Trim('-', '_');
        if (stem.Length < 3) stem = "project-" + stem;
        stem = stem.Length > 38 ? stem[..38] : stem;
        var name = stem;
        for (var i = 2; await db.Projects.AnyAsync(p => p.OrgId == orgId && p.Name == name, ct); i++) name = $"{stem}-{i}";
        return name;
    }
}
