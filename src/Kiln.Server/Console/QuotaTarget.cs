using Kiln.Server.Core;
using Kiln.Server.Data;

namespace Kiln.Server.Console;

/// <summary>
/// A level whose own limits the caller may set. <see cref="ResolveAsync"/> is the one owner of "who may set limits on
/// which target" (docs/console.md#quotas-and-usage), behind <c>PUT .../quotas</c> and the usage page's "Set limits" form
/// alike; <see cref="QuotasApi.SetLimitsAsync"/> takes only a target made here.
/// </summary>
public sealed class QuotaTarget
{
    private QuotaTarget(long orgId, string scope, long id) => (OrgId, Scope, Id) = (orgId, scope, id);

    public long OrgId { get; }

    public string Scope { get; }

    /// <summary>The org's, project's or credential's id.</summary>
    public long Id { get; }

    /// <summary>
    /// The target when the caller is an admin of the org (otherwise 403) and the target is the org itself or one of its
    /// projects or credentials (otherwise 404).
    /// </summary>
    public static async Task<OpResult<QuotaTarget>> ResolveAsync(KilnDb db, OrgContext org, string scope, string? targetId, CancellationToken ct)
    {
        if (!org.IsAdmin) return OpError.Forbidden("Only organization admins may set quotas.");
        if (await QuotasApi.TargetAsync(db, org.OrgId, scope, targetId, ct) is not { } id) return OpError.NotFound(QuotasApi.Missing(scope));
        return new QuotaTarget(org.OrgId, scope, id);
    }
}
