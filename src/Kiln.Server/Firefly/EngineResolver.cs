using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Firefly;

/// <summary>The engine an operation runs on (<c>procedural</c> or <c>upstream:&lt;name&gt;</c>), and the caller's project when it has one.</summary>
public sealed record EngineChoice(string Name, long? ProjectId);

/// <summary>
/// Chooses the engine of an image operation (docs/upstream.md#engines): the caller's project's override, else the org's
/// engine, else <c>procedural</c>. Read on every request, so a change applies to the next request on every node.
/// </summary>
public sealed class EngineResolver
{
    public async Task<EngineChoice> ResolveAsync(ImsCaller caller, KilnDb db, CancellationToken ct)
    {
        long? projectId = null;
        string? engine = null;
        if (caller.CredentialId is { } credentialId)
        {
            var project = await db.Credentials.AsNoTracking().Where(c => c.Id == credentialId)
                .Join(db.Projects, c => c.ProjectId, p => p.Id, (c, p) => new { p.Id, p.Engine }).FirstOrDefaultAsync(ct);
            (projectId, engine) = (project?.Id, project?.Engine);
        }
        engine ??= await db.Orgs.AsNoTracking().Where(o => o.Id == caller.OrgId).Select(o => o.Engine).FirstOrDefaultAsync(ct);
        return new EngineChoice(string.IsNullOrEmpty(engine) ? EngineNames.Procedural : engine, projectId);
    }
}
