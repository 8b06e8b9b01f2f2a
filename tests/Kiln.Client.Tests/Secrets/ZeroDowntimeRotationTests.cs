using Kiln.Client.Tests.Infrastructure;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Client.Tests.Secrets;

/// <summary>
/// The headline guarantee: an application keeps working while its credential's secret is rotated, with zero failed
/// requests. The application only knows the old secret and a secret store; it recovers from the deletion through
/// the 401 retry, which falls back to the secret the rotator stored.
/// </summary>
public sealed class ZeroDowntimeRotationTests : IDisposable
{
    private readonly KilnFactory _kiln = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-zdt-").FullName;

    public void Dispose()
    {
        _kiln.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>
    /// The application's request: a real synchronous image generation (1024x1024, one image) through FireflyClient.
    /// The app's token carries the Firefly scopes (<see cref="KilnClientOptions.Scopes"/> defaults to
    /// <c>firefly_api,ff_apis</c>); the rotation itself runs with the I/O Management scopes (ConsoleScopes).
    /// </summary>
    private static async Task AppRequestAsync(ClientHarness app, CancellationToken ct)
    {
        var res = await app.Firefly.GenerateImagesAsync(new GenerateImagesRequest { Prompt = "a cat coding", Size = new(1024, 1024), NumVariations = 1 }, ct);
        Assert.Equal((1024, 1024), (res.Size.Width, res.Size.Height));
        Assert.Single(res.Outputs);
    }

    [Fact]
    public async Task An_app_keeps_working_with_zero_failed_requests_while_SecretRotator_rotates()
    {
        _kiln.Start();
        var storePath = Path.Combine(_dir, "app.secret");
        using var op = new ClientHarness(_kiln);
        await RunAppDuringAsync(storePath, async () =>
        {
            var result = await op.Rotator.RotateAsync(new SecretRotationOptions
            {
                OrgId = _kiln.Demo.OrgId, CredentialId = _kiln.Demo.CredentialId, Store = new FileSecretStore(storePath),
                IdleWindow = TimeSpan.FromMilliseconds(500), Deadline = TimeSpan.FromSeconds(30), PollInterval = TimeSpan.FromMilliseconds(100),
            });
            Assert.True(result.Succeeded, result.Message);
        });
    }

    [Fact]
    public async Task An_app_keeps_working_with_zero_failed_requests_while_kiln_secrets_rotate_runs()
    {
        _kiln.Start();
        var storePath = Path.Combine(_dir, "app.secret");
        using var cli = new Infrastructure.Cli();
        await RunAppDuringAsync(storePath, async () =>
        {
            var r = await cli.RunAsync("secrets", "rotate", "--yes", "--store", "file:" + storePath, "--idle", "500ms", "--poll", "100ms",
                "--base-url", _kiln.BaseAddress.ToString(), "--client-id", _kiln.Demo.ClientId, "--client-secret", _kiln.Demo.ClientSecret,
                "--org", _kiln.Demo.OrgId, "--credential", _kiln.Demo.CredentialId);
            Assert.True(r.Code == 0, r.ToString());
            Assert.Contains("ok DeleteOldSecret", r.Out);
        });
    }

    private async Task RunAppDuringAsync(string storePath, Func<Task> rotate)
    {
        using var app = new ClientHarness(_kiln, o => o.SecretStore = new FileSecretStore(storePath));
        var fallbacks = new List<SecretFallbackEventArgs>();
        app.Tokens.SecretFallback += (_, e) => { lock (fallbacks) fallbacks.Add(e); };
        using var stop = new CancellationTokenSource();
        var (ok, failed, afterRotation, rotated) = (0, 0, 0, false);
        var errors = new List<string>();
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await AppRequestAsync(app, CancellationToken.None);
                    Interlocked.Increment(ref ok);
                    if (Volatile.Read(ref rotated)) Interlocked.Increment(ref afterRotation);
                }
                catch (Exception e)
                {
                    Interlocked.Increment(ref failed);
                    lock (errors) errors.Add(e.Message);
                }
            }
        });
        var warm = DateTime.UtcNow.AddSeconds(15);
        while (Volatile.Read(ref ok) + Volatile.Read(ref failed) < 5 && DateTime.UtcNow < warm) await Task.Delay(20);
        var before = Volatile.Read(ref ok);

        await rotate();
        Volatile.Write(ref rotated, true);
        var until = DateTime.UtcNow.AddSeconds(20);
        while (Volatile.Read(ref afterRotation) < 5 && DateTime.UtcNow < until) await Task.Delay(20);
        await stop.CancelAsync();
        await load;

        Assert.True(failed == 0, $"{failed} failed requests: {string.Join(" | ", errors.Distinct())}");
        Assert.True(before > 0, "the app was not running before the rotation");
        Assert.True(ok - before - afterRotation > 0, "no requests during the rotation");
        Assert.True(afterRotation >= 5, $"only {afterRotation} requests after the rotation");
        Assert.False(await SecretsAdmin.MintsAsync(_kiln, _kiln.Demo.ClientSecret)); // the old secret is really gone
        Assert.Contains(app.FireflyRequests.Entries, e => e.StartsWith("POST /v3/images/generate", StringComparison.Ordinal) && e.EndsWith("-> 401", StringComparison.Ordinal)); // the app met the revocation
        var fallback = Assert.Single(fallbacks);
        Assert.Equal((0, 1), (fallback.FromIndex, fallback.ToIndex));
    }
}
