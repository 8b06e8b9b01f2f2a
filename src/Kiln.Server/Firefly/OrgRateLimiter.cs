using System.Collections.Concurrent;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Firefly;

/// <summary>
/// Per-org request limits (docs/firefly.md#rate-limits), off by default: an org's own <c>RateLimitPerMinute/PerDay</c>, else
/// <c>Kiln:Firefly:RateLimit</c> (the "adobe" preset is 4/min and 9,000/day). Fixed one-minute and one-day
/// windows: in memory on SQLite (one node); on PostgreSQL in shared <see cref="RateCounter"/> rows, so the
/// limit holds across every node. Image requests (sync and async submits) count; status polls, cancels and uploads do not.
/// </summary>
public sealed class OrgRateLimiter(IServiceScopeFactory scopes, TimeProvider clock, IOptions<FireflyOptions> options,
    IOptions<KilnOptions> kiln)
{
    private sealed class Window
    {
        public long Minute, Day;
        public int MinuteCount, DayCount;
    }

    private readonly ConcurrentDictionary<long, Window> _windows = new();
    private readonly ConcurrentDictionary<long, (int? PerMinute, int? PerDay, DateTimeOffset At)> _limits = new();

    /// <summary>Counts one request; when over a limit returns the seconds until the window resets.</summary>
    public async Task<int?> TryAcquireAsync(long orgId, CancellationToken ct)
    {
        var (perMinute, perDay) = await LimitsAsync(orgId, ct);
        if (perMinute is null && perDay is null) return null;
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        if (kiln.Value.UsesPostgres) return await SharedAcquireAsync(orgId, perMinute, perDay, now, ct);
        var w = _windows.GetOrAdd(orgId, _ => new Window());
        lock (w)
        {
            if (w.Minute != now / 60) (w.Minute, w.MinuteCount) = (now / 60, 0);
            if (w.Day != now / 86400) (w.Day, w.DayCount) = (now / 86400, 0);
            if (perMinute is { } m && w.MinuteCount >= m) return (int)(60 - now % 60);
            if (perDay is { } d && w.DayCount >= d) return (int)(86400 - now % 86400);
            w.MinuteCount++;
            w.DayCount++;
            return null;
        }
    }

    /// <summary>
    /// One atomic upsert per window that only counts while under the limit (no row back: over it). A request
    /// refused by the day limit has still used a minute slot; that errs on the strict side.
    /// </summary>
    private async Task<int?> SharedAcquireAsync(long orgId, int? perMinute, int? perDay, long now, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        if (perMinute is { } m && !await CountAsync(db, $"m:{orgId}:{now / 60}", m, (now / 60 + 2) * 60, ct)) return (int)(60 - now % 60);
        if (perDay is { } d && !await CountAsync(db, $"d:{orgId}:{now / 86400}", d, (now / 86400 + 2) * 86400, ct)) return (int)(86400 - now % 86400);
        return null;
    }

    private static async Task<bool> CountAsync(KilnDb db, string key, int limit, long expiresUnix, CancellationToken ct)
    {
        if (limit <= 0) return false;
        var expires = DateTimeOffset.FromUnixTimeSeconds(expiresUnix);
        var counted = await db.Database.SqlQuery<int>($"""
            INSERT INTO "RateCounters" ("Key", "Count", "ExpiresAt") VALUES ({key}, 1, {expires})
            ON CONFLICT ("Key") DO UPDATE SET "Count" = "RateCounters"."Count" + 1 WHERE "RateCounters"."Count" < {limit}
            RETURNING "Count" AS "Value"
            """).ToListAsync(ct);
        return counted.Count == 1;
    }

    private async Task<(int?, int?)> LimitsAsync(long orgId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (!_limits.TryGetValue(orgId, out var cached) || now - cached.At > TimeSpan.FromSeconds(30))
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            var org = await db.Orgs.AsNoTracking().Where(o => o.Id == orgId).Select(o => new { o.RateLimitPerMinute, o.RateLimitPerDay }).FirstOrDefaultAsync(ct);
            cached = (org?.RateLimitPerMinute, org?.RateLimitPerDay, now);
            _limits[orgId] = cached;
        }
        if (cached.PerMinute is not null || cached.PerDay is not null) return (cached.PerMinute, cached.PerDay);
        var r = options.Value.RateLimit;
        var adobe = string.Equals(r.Preset, "adobe", StringComparison.OrdinalIgnoreCase);
        return (r.PerMinute ?? (adobe ? 4 : null), r.PerDay ?? (adobe ? 9000 : null));
    }
}

/// <summary>Applies <see cref="OrgRateLimiter"/> to a gated group: 429 rate_limited with retry-after in seconds.</summary>
public sealed class OrgRateLimitFilter(OrgRateLimiter limiter) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Items[ImsCaller.ItemKey] is ImsCaller caller && await limiter.TryAcquireAsync(caller.OrgId, http.RequestAborted) is { } retry)
        {
            http.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers[FireflyErrors.RateLimitLevelHeader] = "org";
            return FireflyErrors.Error(429, "rate_limited", "Too many requests for this organization; retry after the time in retry-after");
        }
        return await next(context);
    }
}
