using System.Text.Json.Serialization;

namespace Kiln.Client;

/// <summary>Image limits per minute, day and month; null: no limit (or, as a level's own value, the configured default).</summary>
/// <param name="PerMinute">Images per UTC minute.</param>
/// <param name="PerDay">Images per UTC day.</param>
/// <param name="PerMonth">Images per UTC calendar month.</param>
public sealed record QuotaLimits(
    [property: JsonPropertyName("per_minute")] int? PerMinute,
    [property: JsonPropertyName("per_day")] int? PerDay,
    [property: JsonPropertyName("per_month")] int? PerMonth);

/// <summary>Images counted in the current windows.</summary>
/// <param name="Minute">This minute.</param>
/// <param name="Day">Today (UTC).</param>
/// <param name="Month">This month (UTC).</param>
public sealed record QuotaUsed(
    [property: JsonPropertyName("minute")] long Minute,
    [property: JsonPropertyName("day")] long Day,
    [property: JsonPropertyName("month")] long Month);

/// <summary>The level a quota belongs to (the wire's <c>scope</c>: <c>org</c>, <c>project</c>, <c>credential</c>).</summary>
[JsonConverter(typeof(Internal.LowerCaseEnumConverter<QuotaScope>))]
public enum QuotaScope
{
    /// <summary>A scope this client does not know.</summary>
    Unknown = 0,

    /// <summary>The organization.</summary>
    Org = 1,

    /// <summary>One project of the organization.</summary>
    Project = 2,

    /// <summary>One credential of the organization.</summary>
    Credential = 3,
}

/// <summary>One level's quota (docs/console.md#quotas-and-usage).</summary>
/// <param name="Scope">The level: org, project or credential.</param>
/// <param name="Id">The org, project or credential id.</param>
/// <param name="Limits">Its own limits.</param>
/// <param name="Effective">The limits that apply (own, else the defaults).</param>
/// <param name="Used">What the current windows used.</param>
public sealed record ConsoleQuota(
    [property: JsonPropertyName("scope")] QuotaScope Scope,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("limits")] QuotaLimits Limits,
    [property: JsonPropertyName("effective")] QuotaLimits Effective,
    [property: JsonPropertyName("used")] QuotaUsed Used);

/// <summary>What <see cref="ConsoleClient.GetUsageAsync"/> sums.</summary>
public sealed class UsageQuery
{
    /// <summary>First UTC day (default: the first of this month).</summary>
    public DateOnly? From { get; set; }

    /// <summary>Last UTC day, inclusive (default: today).</summary>
    public DateOnly? To { get; set; }

    /// <summary>Any of <c>day</c>, <c>project</c>, <c>credential</c>, <c>operation</c>, <c>engine</c> (default: day).</summary>
    public IReadOnlyList<string>? GroupBy { get; set; }

    /// <summary>Only this project's usage.</summary>
    public string? ProjectId { get; set; }

    /// <summary>Only this credential's usage.</summary>
    public string? CredentialId { get; set; }
}

/// <summary>Usage counts.</summary>
/// <param name="Requests">Image requests admitted (less those that failed or were canceled).</param>
/// <param name="Images">Images admitted (less those given back).</param>
/// <param name="QuotaRefusals">Requests refused by a quota.</param>
/// <param name="UpstreamRateLimited">Requests an upstream answered with 429.</param>
public sealed record UsageCounts(
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("images")] long Images,
    [property: JsonPropertyName("quota_refusals")] long QuotaRefusals,
    [property: JsonPropertyName("upstream_rate_limited")] long UpstreamRateLimited);

/// <summary>One group of usage; dimensions not grouped by are null.</summary>
/// <param name="Day">UTC day, <c>YYYY-MM-DD</c>.</param>
/// <param name="ProjectId">Project id (<c>0</c>: none).</param>
/// <param name="CredentialId">Credential id (<c>0</c>: none).</param>
/// <param name="Operation">Operation, e.g. <c>generate</c>.</param>
/// <param name="Engine">Engine, e.g. <c>procedural</c>.</param>
/// <param name="Requests">Requests.</param>
/// <param name="Images">Images.</param>
/// <param name="QuotaRefusals">Quota refusals.</param>
/// <param name="UpstreamRateLimited">Upstream 429s.</param>
public sealed record UsageRow(
    [property: JsonPropertyName("day")] string? Day,
    [property: JsonPropertyName("project_id")] string? ProjectId,
    [property: JsonPropertyName("credential_id")] string? CredentialId,
    [property: JsonPropertyName("operation")] string? Operation,
    [property: JsonPropertyName("engine")] string? Engine,
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("images")] long Images,
    [property: JsonPropertyName("quota_refusals")] long QuotaRefusals,
    [property: JsonPropertyName("upstream_rate_limited")] long UpstreamRateLimited);

/// <summary>A usage report (docs/console.md#quotas-and-usage).</summary>
/// <param name="From">First day.</param>
/// <param name="To">Last day.</param>
/// <param name="GroupBy">The dimensions grouped by.</param>
/// <param name="Totals">Sums over every row.</param>
/// <param name="Rows">The groups.</param>
public sealed record ConsoleUsage(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("group_by")] IReadOnlyList<string> GroupBy,
    [property: JsonPropertyName("totals")] UsageCounts Totals,
    [property: JsonPropertyName("rows")] IReadOnlyList<UsageRow> Rows);
