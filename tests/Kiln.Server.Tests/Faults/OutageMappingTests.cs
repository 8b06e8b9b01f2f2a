using System.Net.Sockets;
using Kiln.Server.Storage;
using Kiln.Server.Tests.Firefly;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Kiln.Server.Tests.Faults;

/// <summary>
/// Which exceptions are outages (503 + Retry-After) and which are bugs (500), and what an outage in the blob store
/// does to a sync request and to an async job, in-process with a store that fails on demand.
/// </summary>
public sealed class OutageMappingTests : IDisposable
{
    private readonly KilnFactory _kiln = new();
    private readonly FailingStore.Switch _fail = new();

    public void Dispose() => _kiln.Dispose();

    public static TheoryData<Exception> Outages => new()
    {
        new IOException("No space left on device", 28),
        new SqliteException("database or disk is full", 13),
        new SqliteException("disk I/O error", 10 | (13 << 8)),
        new SqliteException("database is locked", 5),
        new DbUpdateException("save failed", new SqliteException("database or disk is full", 13)),
        new NpgsqlException("Failed to connect to 127.0.0.1:1", new SocketException((int)SocketError.ConnectionRefused)),
        new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"),
        new PostgresException("could not extend file", "ERROR", "ERROR", "53100"),
        new InvalidOperationException("transient", new NpgsqlException("broken", new EndOfStreamException())),
        new AggregateException(new IOException("No space left on device", 28)),
    };

    public static TheoryData<Exception> Bugs => new()
    {
        new InvalidOperationException("a bug"),
        new IOException("some other I/O problem"),
        new PostgresException("duplicate key", "ERROR", "ERROR", "23505"),
        new SqliteException("constraint failed", 19),
        new DbUpdateException("constraint", new SqliteException("UNIQUE constraint failed", 19)),
    };

    [Theory]
    [MemberData(nameof(Outages))]
    public void Outages_are_recognised(Exception e) => Assert.True(Core.Outages.IsOutage(e), e.ToString());

    [Theory]
    [MemberData(nameof(Bugs))]
    public void Bugs_are_not_outages(Exception e) => Assert.False(Core.Outages.IsOutage(e), e.ToString());

    private void StartWithFailingStore() => _kiln.WithLocalStorage()
        .WithServices(s => s.AddSingleton<IBlobStore>(sp => new FailingStore(ActivatorUtilities.CreateInstance<LocalDiskBlobStore>(sp), _fail)))
        .Start();

    [Fact]
    public async Task Disk_full_on_a_sync_generate_is_503_with_retry_after_and_the_next_one_succeeds()
    {
        StartWithFailingStore();
        using var http = await _kiln.DemoClientAsync();
        _fail.Remaining = int.MaxValue;
        using (var res = await http.PostAsync("/v3/images/generate", Outage.Generate(1))) await Outage.GatewayAsync(res, "sync generate on a full disk");
        _fail.Remaining = 0;
        using (var res = await http.PostAsync("/v3/images/generate", Outage.Generate(1))) await HttpAssert.JsonAsync(res, 200);
    }

    [Fact]
    public async Task A_job_that_meets_a_full_disk_is_handed_back_and_completes_once_space_returns()
    {
        StartWithFailingStore();
        using var http = await _kiln.DemoClientAsync();
        _fail.Remaining = 4; // more failures than MaxJobAttempts: an outage must not use up the job's attempts
        using var res = await http.PostAsync("/v3/images/generate-async", Outage.Generate(2));
        var statusUrl = (await HttpAssert.JsonAsync(res, 202)).GetProperty("statusUrl").GetString()!;
        var done = await FireflyKit.PollAsync(http, statusUrl, seconds: 120);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(0, _fail.Remaining);
    }

    /// <summary>A blob store whose writes fail with ENOSPC while <see cref="Switch.Remaining"/> is above zero.</summary>
    private sealed class FailingStore(IBlobStore inner, FailingStore.Switch fail) : IBlobStore
    {
        public sealed class Switch
        {
            private int _remaining;
            public int Remaining { get => Volatile.Read(ref _remaining); set => Volatile.Write(ref _remaining, value); }

            public bool Take()
            {
                while (true)
                {
                    var r = Remaining;
                    if (r <= 0) return false;
                    if (Interlocked.CompareExchange(ref _remaining, r - 1, r) == r) return true;
                }
            }
        }

        public Task PutAsync(string key, Stream content, string contentType, CancellationToken ct = default) =>
            fail.Take() ? throw new IOException("No space left on device", 28) : inner.PutAsync(key, content, contentType, ct);

        public Task<Stream?> OpenReadAsync(string key, CancellationToken ct = default) => inner.OpenReadAsync(key, ct);
        public Task<bool> ExistsAsync(string key, CancellationToken ct = default) => inner.ExistsAsync(key, ct);
        public Task DeleteAsync(string key, CancellationToken ct = default) => inner.DeleteAsync(key, ct);
        public Task<string> GetDownloadUrlAsync(string key, TimeSpan lifetime, CancellationToken ct = default) => inner.GetDownloadUrlAsync(key, lifetime, ct);
        public string? KeyFromOwnUrl(Uri url) => inner.KeyFromOwnUrl(url);
    }
}
