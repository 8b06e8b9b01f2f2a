using System.Security.Cryptography;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.Server.Ims;

/// <summary>
/// The asymmetric signing keys (ES256, P-256). The newest unretired key signs; retired keys keep
/// verifying until every token they signed has expired. Keys live in the database, so every node
/// shares them; each node re-reads them periodically and when it meets an unknown kid.
/// </summary>
public sealed class KeyRing(IServiceScopeFactory scopes, TimeProvider clock, IOptions<ImsOptions> options, ILogger<KeyRing> log)
{
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;

    private volatile Snapshot _current = new(null, []);
    private long _lastRefreshTicks;

    private sealed record Snapshot(SigningCredentials? Signing, IReadOnlyList<ECDsaSecurityKey> Verifying);

    public SigningCredentials Signing => _current.Signing ?? throw new InvalidOperationException("No signing key loaded.");

    public IReadOnlyList<ECDsaSecurityKey> VerifyingKeys => _current.Verifying;

    public async Task InitializeAsync(KilnDb db, CancellationToken ct)
    {
        if (!await db.SigningKeys.AnyAsync(k => k.RetiredAt == null, ct))
            await RotateAsync(db, clock, ct);
        await LoadAsync(db, ct);
    }

    /// <summary>Adds a new signing key and retires the current ones. Used at first start and by <c>kiln admin rotate-keys</c>.</summary>
    public static async Task<string> RotateAsync(KilnDb db, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await db.SigningKeys.Where(k => k.RetiredAt == null).ExecuteUpdateAsync(s => s.SetProperty(k => k.RetiredAt, now), ct);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var kid = "kiln-" + now.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        db.SigningKeys.Add(new SigningKey { Kid = kid, Algorithm = Algorithm, PrivateKey = ec.ExportPkcs8PrivateKey(), CreatedAt = now });
        await db.SaveChangesAsync(ct);
        return kid;
    }

    public async Task RefreshAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        await LoadAsync(scope.ServiceProvider.GetRequiredService<KilnDb>(), ct);
    }

    /// <summary>An unknown kid may be a key rotated on another node: re-read, at most once every 5 seconds.</summary>
    public async Task<bool> TryRefreshForUnknownKidAsync(CancellationToken ct)
    {
        var now = clock.GetTimestamp();
        var last = Interlocked.Read(ref _lastRefreshTicks);
        if (clock.GetElapsedTime(last, now) < TimeSpan.FromSeconds(5) && last != 0) return false;
        if (Interlocked.CompareExchange(ref _lastRefreshTicks, now, last) != last) return false;
        await RefreshAsync(ct);
        return true;
    }

    private async Task LoadAsync(KilnDb db, CancellationToken ct)
    {
        var verifyFrom = clock.GetUtcNow() - options.Value.TokenLifetime - TimeSpan.FromMinutes(5);
        var rows = await db.SigningKeys.AsNoTracking()
            .Where(k => k.RetiredAt == null || k.RetiredAt > verifyFrom)
            .ToListAsync(ct);
        var keys = rows.OrderByDescending(k => k.CreatedAt).Select(ToKey).ToList();
        var signingRow = rows.Where(k => k.RetiredAt == null).OrderByDescending(k => k.CreatedAt).FirstOrDefault();
        var signing = signingRow is null ? null : new SigningCredentials(keys.First(k => k.KeyId == signingRow.Kid), Algorithm);
        _current = new Snapshot(signing ?? _current.Signing, keys);
        Interlocked.Exchange(ref _lastRefreshTicks, clock.GetTimestamp());
        log.LogDebug("Loaded {Count} signing keys; signing with {Kid}", keys.Count, signingRow?.Kid);
    }

    private static ECDsaSecurityKey ToKey(SigningKey row)
    {
        var ec = ECDsa.Create();
        ec.ImportPkcs8PrivateKey(row.PrivateKey, out _);
        return new ECDsaSecurityKey(ec) { KeyId = row.Kid };
    }
}

/// <summary>Re-reads the key ring on an interval so rotations made by other nodes or the CLI are picked up.</summary>
public sealed class KeyRingRefresher(KeyRing ring, TimeProvider clock, IOptions<ImsOptions> options, ILogger<KeyRingRefresher> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.KeyRefreshInterval, clock, stoppingToken);
                await ring.RefreshAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) { log.LogWarning(e, "Signing key refresh failed; keeping the current keys"); }
        }
    }
}
