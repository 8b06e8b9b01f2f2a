using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Server.Hosting;

/// <summary>
/// Runs before the server listens: secures the data directory, loads the key-encryption key, migrates the database,
/// loads the pepper, keys and revocations, and bootstraps the demo org on first start. After the server is listening
/// it prints the curl commands.
/// </summary>
public sealed class KilnInitializer(
    IServiceScopeFactory scopes, IOptions<KilnOptions> options, IOptions<ImsOptions> ims, KeyEncryption kek, SecretHasher hasher, ClientSecrets secrets, KeyRing keys,
    RevocationList revocations, TimeProvider clock, IHostApplicationLifetime lifetime, IServer server,
    IEnumerable<IStartupTask> startupTasks, ILogger<KilnInitializer> log) : IHostedService
{
    private DemoCredential? _created;

    public async Task StartAsync(CancellationToken ct)
    {
        var o = options.Value;
        var steps = new StartupSteps(clock);
        if (!kek.IsLoaded) PrepareData(o, kek, log); // kiln serve has done it already
        steps.Done("data dir and key-encryption key");
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            _ = db.Model; // EF Core's services and the compiled model (docs/architecture.md#compiled-models), timed apart
            steps.Done("EF model");
            await Schema.MigrateAsync(db, ct);
            steps.Done("migrations");
            if (db.Database.IsSqlite()) await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
            await hasher.InitializeAsync(db, ims, kek, log, ct);
            await keys.InitializeAsync(db, ct);
            await revocations.LoadAsync(db, ct);
            steps.Done("pepper, signing keys, revocations");
            if (o.Bootstrap)
            {
                _created = await Bootstrap.RunAsync(db, secrets, clock, o.PublicBaseUrl ?? "http://127.0.0.1:5000", ct);
                if (_created is not null) await Bootstrap.WriteFileAsync(o.FullDataDir, _created, ct);
            }
            steps.Done("bootstrap");
            foreach (var task in startupTasks) await task.RunAsync(scope.ServiceProvider, ct);
            steps.Done("start-up tasks");
        }
        lifetime.ApplicationStarted.Register(() => _ = AnnounceAsync());
        log.LogInformation("Kiln data in {DataDir} ({Database})", o.FullDataDir, o.UsesPostgres ? "PostgreSQL" : "SQLite");
        log.LogDebug("Start-up steps: {Steps}", steps);
    }

    /// <summary>Milliseconds per start-up step, for the Debug log.</summary>
    private sealed class StartupSteps(TimeProvider clock)
    {
        private readonly long _start = clock.GetTimestamp();
        private readonly List<string> _done = [];
        private TimeSpan _last;

        public void Done(string step)
        {
            var now = clock.GetElapsedTime(_start);
            _done.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{step} {(now - _last).TotalMilliseconds:F0} ms"));
            _last = now;
        }

        public override string ToString() => string.Join(", ", _done) + string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $" (JIT so far: {System.Runtime.JitInfo.GetCompiledMethodCount()} methods, {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} ms)");
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>
    /// What <c>kiln serve</c> and every <c>kiln admin</c> command do before opening the database: the data directory
    /// 0700 with kiln.db 0600 (docs/security.md#files-on-disk), then the key-encryption key (docs/security.md#keys-at-rest).
    /// Throws <see cref="DataDirectoryException"/> or <see cref="KeyEncryptionException"/> with a message for the operator.
    /// </summary>
    public static void PrepareData(KilnOptions o, KeyEncryption kek, ILogger log)
    {
        DataDirectory.Prepare(o, log);
        kek.Load(o);
        log.LogInformation("Keys at rest are wrapped under key-encryption key {KeyId} ({Source})", kek.CurrentKeyId, kek.Source.Description);
    }

    private async Task AnnounceAsync()
    {
        try
        {
            var o = options.Value;
            var address = o.PublicBaseUrl?.TrimEnd('/')
                ?? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()?.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
            if (_created is null || address is null) return;
            var demo = _created with { BaseUrl = address };
            await Bootstrap.WriteFileAsync(o.FullDataDir, demo, CancellationToken.None);
            using var scope = scopes.CreateScope();
            OperatorNotice.Show(scope.ServiceProvider, Bootstrap.CurlCommands(demo), typeof(KilnInitializer).FullName!,
                $"Demo credential written to {Path.Combine(o.FullDataDir, Bootstrap.FileName)} (mode 0600); kiln configure --from reads it");
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Could not announce the demo credential");
        }
    }
}
