using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>
/// A credential's client secrets as the REST API and the credential page show and change them. The rules (limit,
/// last-secret guard, audit, revocation) are <see cref="ClientSecrets"/>'s; this adds the list with not-yet-flushed usage.
/// </summary>
public sealed class SecretOps(KilnDb db, ClientSecrets secrets, UsageTracker usage)
{
    public int Limit => secrets.Limit;

    /// <summary>The credential's secrets, oldest first: stored usage overlaid with what this node has not flushed yet.</summary>
    public async Task<List<(ClientSecret Secret, SecretDto Dto)>> ListAsync(Credential cred, CancellationToken ct) =>
        (await db.ClientSecrets.AsNoTracking().Where(s => s.CredentialId == cred.Id).ToListAsync(ct))
            .OrderBy(s => s.CreatedAt).Select(s => (s, s.AsSecretDto(usage.Pending(s.Uuid)))).ToList();

    public Task<OpResult<NewClientSecret>> AddAsync(Actor actor, Credential cred, CancellationToken ct) => secrets.AddAsync(db, actor, cred, ct);

    /// <summary>Deletes a secret; <paramref name="howToForce"/> ends the last-secret refusal (the API and the page say it differently).</summary>
    public Task<OpError?> DeleteAsync(Actor actor, Credential cred, string uuid, bool force, string howToForce, CancellationToken ct) =>
        secrets.DeleteAsync(db, actor, cred, uuid, force, howToForce, ct);
}
