using System.Globalization;

namespace Kiln.Client;

public partial class ConsoleClient
{
    /// <summary>The org's quotas: the org itself first, then every project and credential with limits of its own (docs/console.md#quotas-and-usage).</summary>
    /// <param name="orgId">The org id.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<IReadOnlyList<ConsoleQuota>> ListQuotasAsync(string orgId, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<ConsoleQuota>>(HttpMethod.Get, $"{Org(orgId)}/quotas", null, cancellationToken);

    /// <summary>One level's quota: its own limits, the effective ones and what the current windows used.</summary>
    /// <param name="orgId">The org id.</param>
    /// <param name="scope">The level.</param>
    /// <param name="targetId">The project or credential id; ignored for <see cref="QuotaScope.Org"/>.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual async Task<ConsoleQuota> GetQuotaAsync(string orgId, QuotaScope scope, string? targetId, CancellationToken cancellationToken = default)
    {
        if (scope == QuotaScope.Org) return (await ListQuotasAsync(orgId, cancellationToken).ConfigureAwait(false))[0];
        return await SendAsync<ConsoleQuota>(HttpMethod.Get, QuotaPath(orgId, scope, targetId), null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets a level's own limits (admins only); a null limit falls back to the configured default.</summary>
    /// <param name="orgId">The org id.</param>
    /// <param name="scope">The level.</param>
    /// <param name="targetId">The project or credential id; ignored for <see cref="QuotaScope.Org"/>.</param>
    /// <param name="limits">Images per minute, day and month.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<ConsoleQuota> SetQuotaAsync(string orgId, QuotaScope scope, string? targetId, QuotaLimits limits, CancellationToken cancellationToken = default) =>
        SendAsync<ConsoleQuota>(HttpMethod.Put, QuotaPath(orgId, scope, targetId), limits ?? throw new ArgumentNullException(nameof(limits)), cancellationToken);

    /// <summary>Image usage of an org, or of one of its projects, summed per group (docs/console.md#quotas-and-usage).</summary>
    /// <param name="orgId">The org id.</param>
    /// <param name="query">Range, grouping and filters; null: this month, by day.</param>
    /// <param name="cancellationToken">Cancellation.</param>
    public virtual Task<ConsoleUsage> GetUsageAsync(string orgId, UsageQuery? query = null, CancellationToken cancellationToken = default)
    {
        var q = query ?? new UsageQuery();
        var path = q.ProjectId is { } p ? $"{Org(orgId)}/projects/{E(p)}/usage" : $"{Org(orgId)}/usage";
        var args = new List<string>();
        if (q.From is { } f) args.Add("from=" + f.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (q.To is { } t) args.Add("to=" + t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (q.GroupBy is { Count: > 0 } g) args.Add("groupBy=" + E(string.Join(',', g)));
        if (q.CredentialId is { } c) args.Add("credentialId=" + E(c));
        return SendAsync<ConsoleUsage>(HttpMethod.Get, path + (args.Count > 0 ? "?" + string.Join('&', args) : ""), null, cancellationToken);
    }

    private static string QuotaPath(string orgId, QuotaScope scope, string? targetId) => scope switch
    {
        QuotaScope.Org => $"{Org(orgId)}/quotas",
        QuotaScope.Project => $"{Org(orgId)}/projects/{E(targetId ?? throw new ArgumentNullException(nameof(targetId)))}/quotas",
        QuotaScope.Credential => $"{Org(orgId)}/credentials/{E(targetId ?? throw new ArgumentNullException(nameof(targetId)))}/quotas",
        _ => throw new ArgumentOutOfRangeException(nameof(scope), scope, "scope must be Org, Project or Credential"),
    };
}
