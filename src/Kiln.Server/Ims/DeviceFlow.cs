using System.Security.Cryptography;
using System.Text;
using Kiln.Server.Core;
using Kiln.Server.Users;
using Kiln.Server.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Ims;

public enum DeviceDecision { Approved, Denied, NotFound, Expired, AlreadyDecided, NotMember }

/// <summary>
/// The OAuth 2.0 device authorization grant (RFC 8628) as building blocks: <see cref="StartAsync"/> for
/// <c>POST /ims/device/code</c>, <see cref="FindAsync"/>/<see cref="ApproveAsync"/>/<see cref="DenyAsync"/> for the
/// UI's "Approve a device" page. The token endpoint side is <see cref="DeviceGrant"/>.
/// </summary>
public static class DeviceFlow
{
    public const string GrantType = "urn:ietf:params:oauth:grant-type:device_code";
    /// <summary>The built-in public client of the <c>kiln</c> CLI; it has no secret.</summary>
    public const string CliClientId = UserIds.CliClientId;
    public const string Pending = "pending", Approved = "approved", Denied = "denied", Consumed = "consumed";

    /// <summary>What a user token may carry: enough for the whole Console REST API.</summary>
    public static readonly IReadOnlyList<string> UserScopes =
        ["AdobeID", "openid", "read_organizations", "adobeio_api", "read_client_secret", "manage_client_secrets"];

    // RFC 8628 §6.1: no vowels (no words), no look-alikes (0/O, 1/I/L).
    private const string Alphabet = "BCDFGHJKMNPQRSTVWXZ";

    public static string NewUserCode() => string.Create(8, 0, (span, _) =>
    {
        for (var i = 0; i < span.Length; i++) span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
    });

    public static string Format(string userCode) => userCode.Length == 8 ? userCode[..4] + "-" + userCode[4..] : userCode;

    /// <summary>Accepts what a person types ("bcdf-ghjk", "BCDF GHJK"); null when it cannot be a user code.</summary>
    public static string? NormalizeUserCode(string? input)
    {
        if (input is null) return null;
        var code = new string(input.Where(c => c != '-' && !char.IsWhiteSpace(c)).Select(char.ToUpperInvariant).ToArray());
        return code.Length == 8 && code.All(c => Alphabet.Contains(c, StringComparison.Ordinal)) ? code : null;
    }

    public static string Hash(string deviceCode) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(deviceCode)));

    /// <summary>How long an expired authorization is kept, so that a late poll still hears <c>expired_token</c>.</summary>
    public static readonly TimeSpan ExpiredKeptFor = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Starts a device authorization; returns the row and the device code (shown once, stored hashed), or, when
    /// <see cref="AccountOptions.DeviceMaxStoredCodes"/> authorizations are stored already, how long to wait. Expired
    /// ones are deleted first (a minute after they expire), and the count and the insert run under one lock, so the
    /// cap holds under concurrency and across nodes.
    /// </summary>
    public static async Task<(DeviceAuthorization? Row, string? DeviceCode, TimeSpan RetryAfter)> StartAsync(
        KilnDb db, TimeProvider clock, AccountOptions options, string clientId, IReadOnlyList<string> scopes, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var tx = await db.LockDeviceCodesAsync(ct);
        var keptSince = now - ExpiredKeptFor;
        await db.DeviceAuthorizations.Where(d => d.ExpiresAt < keptSince).ExecuteDeleteAsync(ct);
        if (await db.DeviceAuthorizations.CountAsync(ct) >= options.DeviceMaxStoredCodes)
        {
            var oldest = await db.DeviceAuthorizations.OrderBy(d => d.ExpiresAt).Select(d => d.ExpiresAt).FirstAsync(ct);
            var wait = oldest + ExpiredKeptFor - now;
            return (null, null, wait > TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1));
        }
        // Under the lock no other start inserts, so a free user code stays free until this insert.
        var userCode = NewUserCode();
        while (await db.DeviceAuthorizations.AnyAsync(d => d.UserCode == userCode, ct)) userCode = NewUserCode();
        var deviceCode = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var row = new DeviceAuthorization
        {
            DeviceCodeHash = Hash(deviceCode), UserCode = userCode, ClientId = clientId, Scope = string.Join(',', scopes),
            CreatedAt = now, ExpiresAt = now + options.DeviceCodeLifetime, IntervalSeconds = (int)options.DevicePollInterval.TotalSeconds,
            Status = Pending,
        };
        db.DeviceAuthorizations.Add(row);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return (row, deviceCode, TimeSpan.Zero);
    }

    /// <summary>The authorization a user code names, whatever its state (for the approval page).</summary>
    public static Task<DeviceAuthorization?> FindAsync(KilnDb db, string userCode, CancellationToken ct)
    {
        var code = NormalizeUserCode(userCode);
        return code is null ? Task.FromResult<DeviceAuthorization?>(null)
            : db.DeviceAuthorizations.AsNoTracking().FirstOrDefaultAsync(d => d.UserCode == code, ct);
    }

    /// <summary>
    /// A signed-in user approves the code for one of their orgs: the CLI's next poll gets a user token for that org.
    /// </summary>
    public static async Task<DeviceDecision> ApproveAsync(
        KilnDb db, TimeProvider clock, string userCode, long userId, long orgId, CancellationToken ct, string sourceIp = "")
    {
        var (row, refusal) = await DecidableAsync(db, clock, userCode, ct);
        if (row is null) return refusal;
        if (await UserAccounts.RoleAsync(db, userId, orgId, ct) is null) return DeviceDecision.NotMember;
        return await DecideAsync(db, clock, row, Approved, userId, orgId, sourceIp, ct) ? DeviceDecision.Approved : DeviceDecision.AlreadyDecided;
    }

    /// <summary>The user says "this was not me": the CLI's next poll gets <c>access_denied</c>.</summary>
    public static async Task<DeviceDecision> DenyAsync(KilnDb db, TimeProvider clock, string userCode, long userId, CancellationToken ct, string sourceIp = "")
    {
        var (row, refusal) = await DecidableAsync(db, clock, userCode, ct);
        if (row is null) return refusal;
        return await DecideAsync(db, clock, row, Denied, userId, null, sourceIp, ct) ? DeviceDecision.Denied : DeviceDecision.AlreadyDecided;
    }

    private static async Task<(DeviceAuthorization?, DeviceDecision)> DecidableAsync(KilnDb db, TimeProvider clock, string userCode, CancellationToken ct)
    {
        var row = await FindAsync(db, userCode, ct);
        if (row is null) return (null, DeviceDecision.NotFound);
        if (row.ExpiresAt <= clock.GetUtcNow()) return (null, DeviceDecision.Expired);
        if (row.Status != Pending) return (null, DeviceDecision.AlreadyDecided);
        return (row, default);
    }

    private static async Task<bool> DecideAsync(KilnDb db, TimeProvider clock, DeviceAuthorization row, string status, long userId, long? orgId,
        string sourceIp, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        // Conditional update: of two racing decisions, only one wins.
        var n = await db.DeviceAuthorizations.Where(d => d.DeviceCodeHash == row.DeviceCodeHash && d.Status == Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, status).SetProperty(d => d.UserId, userId)
                .SetProperty(d => d.OrgId, orgId).SetProperty(d => d.DecidedAt, now), ct);
        if (n == 0) return false;
        Actor.ForUser(userId, sourceIp).Audit(db, clock, AuditScope.Org(orgId), status == Approved ? "device.approve" : "device.deny",
            $"device:{Format(row.UserCode)}", $"client {row.ClientId}");
        await db.SaveChangesAsync(ct);
        return true;
    }
}
