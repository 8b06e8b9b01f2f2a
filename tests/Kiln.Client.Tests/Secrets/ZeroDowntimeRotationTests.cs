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
    /// The application's request. After merge, switch this to image generation:
    /// <c>await app.Firefly.GenerateImagesAsync(new GenerateImagesRequest { Prompt = "a cat coding", Size = new(1024, 1024) }, ct)</c>.
    /// </summary>
    private async Task AppRequestAsync(ClientHarness app, CancellationToken ct) =>
        await app.Console.ListSecretsAsync(_kiln.Demo.OrgId, _kiln.Demo.CredentialId, ct);

    [Fact]
    public async Task An_app_keeps_working_with_zero_failed_requests_while_the_secret_is_rotated()
    {
        _kiln.Start();
        var storePath = Path.Combine(_dir, "app.secret");
        using var app = new ClientHarness(_kiln, o => o.SecretStore = new FileSecretStore(storePath));
        using var op = new ClientHarness(_kiln);
        var fallbacks = new List<SecretFallbackEventArgs>();
        app.Tokens.SecretFallback += (_, e) => { lock (fallbacks) fallbacks.Add(e); };

        using var stop = new CancellationTokenSource();
        var (ok, failed, errors) = (0, 0, new List<string>());
        var afterRotation = 0;
        var rotated = false;
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
        await Task.Delay(300);

        var result = await op.Rotator.RotateAsync(new SecretRotationOptions
        {
            OrgId = _kiln.Demo.OrgId, CredentialId = _kiln.Demo.CredentialId, Store = new FileSecretStore(storePath),
            IdleWindow = TimeSpan.FromMilliseconds(500), Deadline = TimeSpan.FromSeconds(30), PollInterval = TimeSpan.FromMilliseconds(100),
        });
        Volatile.Write(ref rotated, true);
        var until = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref afterRotation) < 20 && DateTime.UtcNow < until) await Task.Delay(20);
        await stop.CancelAsync();
        await load;

        Assert.True(result.Succeeded, result.Message);
        Assert.True(failed == 0, $"{failed} failed requests: {string.Join(" | ", errors.Distinct())}");
        Assert.True(afterRotation >= 20, $"only {afterRotation} requests after the rotation");
        Assert.True(ok > 40, $"only {ok} requests");
        Assert.False(await SecretsAdmin.MintsAsync(_kiln, _kiln.Demo.ClientSecret)); // the old secret is really gone
        Assert.Contains(app.ConsoleRequests.Entries, e => e.EndsWith("-> 401", StringComparison.Ordinal)); // the app did meet the revocation
        var fallback = Assert.Single(fallbacks);
        Assert.Equal((0, 1), (fallback.FromIndex, fallback.ToIndex));
    }
}
