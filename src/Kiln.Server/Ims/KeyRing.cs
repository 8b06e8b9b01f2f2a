using System.Security.Cryptography;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.Server.Ims;

/// <summary>
/// The asymmetric signing keys (ES256, P-256). The newest unretired key signs; retired keys keep
/// verifying until every token they signed has expired. Keys live in the database, so every node
/// shares them; each node re-reads them periodically and when it meets an unknown kid. The private keys are wrapped
/// under the key-encryption key (docs/security.md#keys-at-rest); a key once opened stays in memory, so re-wrapping
/// under a new KEK (<c>kiln admin rotate-kek</c>) does not disturb a running node.
/// </summary>
public sealed class KeyRing(IServiceScopeFactory scopes, KeyEncryption kek, TimeProvider clock, IOptions<ImsOptions> options, ILogger<KeyRing> log)
{
    public const string Algorithm = SecurityAlgorithms.EcdsaSha256;

    private volatile Snapshot _current = new(null, []);
    private long _lastRefreshTicks;

    private sealed record Snapshot(SigningCredentials? Signing, IReadOnlyList<ECDsaSecurityKey> Verifying);

    public SigningCredentials Signing => _current.Signing ?? throw new InvalidOperationException("No signing key loaded.");

    public IReadOnlyList<ECDsaSecurityKey> VerifyingKeys => _current.Verifying;

    public async Task InitializeAsync(KilnDb db, CancellationToken ct)
    {
        await WrapPlaintextKeysAsync(db, ct);
        if (!await db.SigningKeys.AnyAsync(k => k.RetiredAt == null, ct))
            await RotateAsync(db, kek, clock, ct);
        await LoadAsync(db, ct);
    }

    /// <summary>Versions before keys at rest stored the PKCS#8 bytes as they are: wrap them (same kid, same key).</summary>
    private async Task WrapPlaintextKeysAsync(KilnDb db, CancellationToken ct)
    {
        var rows = (await db.SigningKeys.ToListAsync(ct)).Where(k => !KeyEncryption.IsWrapped(k.PrivateKey)).ToList();
        if (rows.Count == 0) return;
        foreach (var row in rows) row.PrivateKey = kek.Wrap(row.PrivateKey, KeysAtRest.SigningKeyPurpose(row.Kid));
        await db.SaveChangesAsync(ct); // a node doing the same at once writes an equal wrap of the same key
        db.ChangeTracker.Clear();
        log.LogInformation("Wrapped {Count} plaintext signing keys under key-encryption key {KeyId}", rows.Count, kek.CurrentKeyId);
    }

    /// <summary>Adds a new signing key and retires the current ones. Used at first start and by <c>kiln admin rotate-keys</c>.</summary>
    public static async Task<string> RotateAsync(KilnDb db, KeyEncryption kek, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await db.SigningKeys.Where(k => k.RetiredAt == null).ExecuteUpdateAsync(s => s.SetProperty(k => k.RetiredAt, now), ct);
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var kid = "kiln-" + now.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        db.SigningKeys.Add(new SigningKey { Kid = kid, Algorithm = Algorithm, PrivateKey = kek.Wrap(ec.ExportPkcs8PrivateKey(), KeysAtRest.SigningKeyPurpose(kid)), CreatedAt = now });
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
        var opened = _current.Verifying.ToDictionary(k => k.KeyId, StringComparer.Ordinal);
        var keys = rows.OrderByDescending(k => k.CreatedAt).Select(k => opened.GetValueOrDefault(k.Kid) ?? ToKey(k)).ToList();
        var signingRow = rows.Where(k => k.RetiredAt == null).OrderByDescending(k => k.CreatedAt).FirstOrDefault();
        var signing = signingRow is null ? null : new SigningCredentials(keys.First(k => k.KeyId == signingRow.Kid), Algorithm);
        _current = new Snapshot(signing ?? _current.Signing, keys);
        Interlocked.Exchange(ref _lastRefreshTicks, clock.GetTimestamp());
        log.LogDebug("Loaded {Count} signing keys; signing with {Kid}", keys.Count, signingRow?.Kid);
    }

    private ECDsaSecurityKey ToKey(SigningKey row)
    {
        var ec = ECDsa.Create();
        var pkcs8 = kek.Unwrap(row.PrivateKey, KeysAtRest.SigningKeyPurpose(row.Kid));
        try { ec.ImportPkcs8PrivateKey(pkcs8, out _); }
        finally { CryptographicOperations.ZeroMemory(pkcs8); }
        return new ECDsaSecurityKey(ec) { KeyId = row.Kid };
    }
}

/// <summary>Re-reads the key ring on an interval so rotations made by other nodes or the CLI are picked up.</summary>
public sealed class KeyRingRefresher(KeyRing ring, TimeProvider clock, IOptions<ImsOptions> options, ILogger<KeyRingRefresher> log) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => PeriodicLoop.RunAsync(clock, options.Value.KeyRefreshInterval,
        ring.RefreshAsync, e => log.LogWarning(e, "Signing key refresh failed; keeping the current keys"), stoppingToken);
}
