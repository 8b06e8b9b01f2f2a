using Microsoft.Extensions.Options;

namespace Kiln.Server.Quotas;

/// <summary>
/// <c>Kiln:Quotas</c>: the default image limits of every org, project and credential that has none of its own
/// (docs/configuration.md#quotas). Empty (the default): no limit.
/// </summary>
public sealed class QuotaOptions
{
    public const string Section = "Kiln:Quotas";
    public const int MaxLimit = 1_000_000_000;

    public QuotaDefaults Org { get; set; } = new();
    public QuotaDefaults Project { get; set; } = new();
    public QuotaDefaults Credential { get; set; } = new();

    /// <summary>How often expired window counters are deleted.</summary>
    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);

    public QuotaDefaults For(string scope) => scope switch
    {
        QuotaScopes.Org => Org,
        QuotaScopes.Project => Project,
        _ => Credential,
    };

    internal sealed class Validator : IValidateOptions<QuotaOptions>
    {
        public ValidateOptionsResult Validate(string? name, QuotaOptions o)
        {
            var errors = new List<string>();
            foreach (var scope in QuotaScopes.All)
                foreach (var (window, limit) in o.For(scope).AsValues().Each())
                    if (limit is < 1 or > MaxLimit) errors.Add($"Kiln:Quotas:{char.ToUpperInvariant(scope[0])}{scope[1..]}:Per{QuotaWindows.Title(window)} must be between 1 and {MaxLimit}.");
            if (o.CleanupInterval <= TimeSpan.Zero) errors.Add("Kiln:Quotas:CleanupInterval must be positive.");
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}

public sealed class QuotaDefaults
{
    public int? PerMinute { get; set; }
    public int? PerDay { get; set; }
    public int? PerMonth { get; set; }

    public QuotaValues AsValues() => new(PerMinute, PerDay, PerMonth);
}
