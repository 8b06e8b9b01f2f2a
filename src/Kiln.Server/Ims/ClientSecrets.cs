using System.Security.Cryptography;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Ims;

/// <summary>A secret just made: its plaintext is here and nowhere else, ever.</summary>
public sealed record NewClientSecret(ClientSecret Secret, string Plaintext);

/// <summary>
/// The one owner of client secrets: creating a credential's first secret, adding one (within the limit), deleting one
/// (never the last unless forced) and matching a presented secret. Adds and deletes count and act in one transaction
/// that serialises the credential's writers (<see cref="RowLocks"/>), so the limit and the last-secret guard hold under
/// concurrent requests, on any number of nodes. Each change is audited in that transaction and drops the credential
/// from every node's cache before it answers (revocation beats the cache). The token endpoint and invalidate match here.
/// </summary>
public sealed class ClientSecrets(SecretHasher hasher, TimeProvider clock, CredentialCache cache, IOptions<ImsOptions> options, KilnMetrics metrics)
{
    public int Limit => options.Value.MaxSecretsPerCredential;

    /// <summary>
    /// The first secret of a credential being created (<paramref name="cred"/> is new, not saved yet): added to it, and
    /// audited when an actor is given. The caller's SaveChanges writes it with the credential.
    /// </summary>
    public string AddFirst(KilnDb db, Credential cred, Actor? actor)
    {
        var (secret, plaintext) = New(cred.Id);
        cred.Secrets.Add(secret);
        actor?.Audit(db, clock, AuditScope.Of(cred), "secret.add", Target(cred.Id, secret.Uuid), "first secret");
        metrics.SecretEvent("created");
        return plaintext;
    }

    /// <summary>Adds a secret, unless the credential already has <see cref="Limit"/> (409 <c>secret_limit_reached</c>).</summary>
    public async Task<OpResult<NewClientSecret>> AddAsync(KilnDb db, Actor actor, Credential cred, CancellationToken ct)
    {
        var added = await AddEachAsync(db, actor, [cred], "",
            _ => OpError.Conflict("secret_limit_reached", $"A credential may have at most {Limit} client secrets; delete one first."), ct);
        return added.Failed(out var error, out var secrets) ? error : secrets[cred.Id];
    }

    /// <summary>One new secret for every credential, all or none: one at the limit refuses them all (workspace download).</summary>
    public Task<OpResult<IReadOnlyDictionary<long, NewClientSecret>>> AddToEachAsync(KilnDb db, Actor actor, IReadOnlyList<Credential> creds,
        string detail, CancellationToken ct) =>
        AddEachAsync(db, actor, creds, detail, full => OpError.Conflict("secret_limit_reached",
            $"Credential {full} already has {Limit} client secrets; delete one before downloading with a new secret."), ct);

    private async Task<OpResult<IReadOnlyDictionary<long, NewClientSecret>>> AddEachAsync(KilnDb db, Actor actor,
        IReadOnlyList<Credential> creds, string detail, Func<long, OpError> limitReached, CancellationToken ct)
    {
        var added = new Dictionary<long, NewClientSecret>();
        if (creds.Count == 0) return new OpResult<IReadOnlyDictionary<long, NewClientSecret>>(added);
        var ids = creds.Select(c => c.Id).ToList();
        await using (var tx = await db.LockCredentialsAsync(ids, ct))
        {
            var counts = await db.ClientSecrets.Where(s => ids.Contains(s.CredentialId)).GroupBy(s => s.CredentialId)
                .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(x => x.Key, x => x.Count, ct);
            if (creds.FirstOrDefault(c => counts.GetValueOrDefault(c.Id) >= Limit) is { } full) return limitReached(full.Id);
            foreach (var c in creds)
            {
                var (secret, plaintext) = New(c.Id);
                db.ClientSecrets.Add(secret);
                actor.Audit(db, clock, AuditScope.Of(c), "secret.add", Target(c.Id, secret.Uuid), detail);
                added[c.Id] = new NewClientSecret(secret, plaintext);
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        foreach (var c in creds) cache.Invalidate(c.ClientId);
        metrics.SecretEvent("added", creds.Count);
        return new OpResult<IReadOnlyDictionary<long, NewClientSecret>>(added);
    }

    /// <summary>
    /// Deletes a secret; the tokens it minted die at once. The credential's last secret goes only with
    /// <paramref name="force"/> (409 <c>last_secret</c>, whose message ends with <paramref name="howToForce"/>).
    /// </summary>
    public async Task<OpError?> DeleteAsync(KilnDb db, Actor actor, Credential cred, string uuid, bool force, string howToForce, CancellationToken ct)
    {
        await using (var tx = await db.LockCredentialsAsync([cred.Id], ct))
        {
            var secret = await db.ClientSecrets.FirstOrDefaultAsync(s => s.Uuid == uuid && s.CredentialId == cred.Id, ct);
            if (secret is null) return OpError.NotFound("Secret Not Found");
            if (!force && await db.ClientSecrets.CountAsync(s => s.CredentialId == cred.Id, ct) <= 1)
                return OpError.Conflict("last_secret", "This is the credential's last secret; deleting it stops every client. " + howToForce);
            db.ClientSecrets.Remove(secret);
            actor.Audit(db, clock, AuditScope.Of(cred), "secret.delete", Target(cred.Id, uuid), force ? "forced" : "");
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }
        cache.Invalidate(cred.ClientId); // revocation: tokens minted by this secret die on their next request
        metrics.SecretEvent("deleted");
        return null;
    }

    /// <summary>
    /// The credential's live secret that <paramref name="presented"/> is, or null. Compared in fixed time against every
    /// secret, so timing says nothing about which one matched; expired secrets never match.
    /// </summary>
    public SecretSnapshot? Match(CredentialSnapshot cred, string presented)
    {
        if (presented.Length > 256) return null;
        var hash = hasher.Hash(presented);
        var now = clock.GetUtcNow();
        SecretSnapshot? match = null;
        foreach (var s in cred.Secrets)
            if (CryptographicOperations.FixedTimeEquals(hash, s.Hash) && (s.ExpiresAt is null || s.ExpiresAt > now))
                match = s;
        return match;
    }

    private (ClientSecret Secret, string Plaintext) New(long credentialId)
    {
        var plaintext = SecretHasher.NewSecret();
        return (new ClientSecret
        {
            Uuid = Ids.NewHex32(),
            CredentialId = credentialId,
            Hash = hasher.Hash(plaintext),
            Hint = SecretHasher.HintOf(plaintext),
            CreatedAt = clock.GetUtcNow(),
        }, plaintext);
    }

    private static string Target(long credentialId, string uuid) => $"credential:{credentialId}/secret:{uuid}";
}
