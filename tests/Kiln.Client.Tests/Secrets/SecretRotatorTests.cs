using System.Net;
using Kiln.Client.Tests.Infrastructure;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.Client.Tests.Secrets;

/// <summary>SecretRotator end to end against the real secrets API, including a failure at each step.</summary>
public sealed class SecretRotatorTests : IDisposable
{
    private readonly KilnFactory _kiln = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("kiln-rotate-").FullName;

    public void Dispose()
    {
        _kiln.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private SecretRotationOptions Rotation(ISecretStore store, TimeSpan? idle = null, TimeSpan? deadline = null, string? proofScopes = null) => new()
    {
        OrgId = _kiln.Demo.OrgId,
        CredentialId = _kiln.Demo.CredentialId,
        Store = store,
        IdleWindow = idle ?? TimeSpan.FromMilliseconds(300),
        Deadline = deadline ?? TimeSpan.FromSeconds(20),
        PollInterval = TimeSpan.FromMilliseconds(100),
        ProofScopes = proofScopes,
    };

    [Fact]
    public async Task Rotation_adds_proves_stores_waits_then_deletes_the_old_secret()
    {
        _kiln.Start();
        var oldUuid = await SecretsAdmin.FirstUuidAsync(_kiln);
        var logs = new Conformance.ListLogger();
        using var client = new ClientHarness(_kiln, more: b => b.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace).AddProvider(logs)));
        var store = new FileSecretStore(Path.Combine(_dir, "secret"));
        var progress = new ListProgress<RotationStep>();

        var result = await client.Rotator.RotateAsync(Rotation(store), progress);

        Assert.True(result.Succeeded, result.Message + " / " + result.NextAction);
        var stored = await store.LoadAsync(default);
        Assert.NotNull(stored);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.Path));
        Assert.True(await SecretsAdmin.MintsAsync(_kiln, stored));
        Assert.False(await SecretsAdmin.MintsAsync(_kiln, _kiln.Demo.ClientSecret));
        Assert.Equal([result.NewSecretUuid!], await SecretsAdmin.UuidsAsync(_kiln, stored));
        Assert.Equal([oldUuid], result.DeletedSecretUuids);
        var done = progress.Items.Where(s => s.Status == RotationStepStatus.Succeeded).Select(s => s.Kind).ToList();
        Assert.Equal([RotationStepKind.AddSecret, RotationStepKind.ProveSecret, RotationStepKind.StoreSecret, RotationStepKind.WaitForIdle, RotationStepKind.DeleteOldSecret], done);
        Assert.DoesNotContain(progress.Items, s => s.Message.Contains(stored, StringComparison.Ordinal));
        // Each step is logged at Information (docs/client.md#logging-and-tracing), and no line holds either secret.
        var steps = logs.Entries.Where(e => e.Category == "Kiln.Client.SecretRotator").ToList();
        Assert.All([RotationStepKind.AddSecret, RotationStepKind.ProveSecret, RotationStepKind.StoreSecret, RotationStepKind.WaitForIdle, RotationStepKind.DeleteOldSecret],
            k => Assert.Contains(steps, e => e.Level == LogLevel.Information && e.Message.Contains($": {k} Succeeded:", StringComparison.Ordinal)));
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains(stored, StringComparison.Ordinal) || e.Message.Contains(_kiln.Demo.ClientSecret, StringComparison.Ordinal));
        Assert.Equal(0, client.Tokens.CurrentSecretIndex); // the rotator switched its own provider to the new secret
        Assert.Equal(1, client.Tokens.SecretCount);
    }

    [Fact]
    public async Task A_failing_store_deletes_the_new_secret_again_and_keeps_the_old_one()
    {
        _kiln.Start();
        var oldUuid = await SecretsAdmin.FirstUuidAsync(_kiln);
        using var client = new ClientHarness(_kiln);
        var store = new CallbackSecretStore((_, _) => throw new IOException("vault unreachable"));

        var result = await client.Rotator.RotateAsync(Rotation(store));

        Assert.False(result.Succeeded);
        Assert.Equal(RotationStepKind.StoreSecret, result.FailedStep);
        Assert.Contains("vault unreachable", result.Message);
        Assert.Contains("secret store", result.NextAction);
        Assert.Null(result.NewSecretUuid);
        Assert.Equal([oldUuid], await SecretsAdmin.UuidsAsync(_kiln, _kiln.Demo.ClientSecret));
        Assert.True(await SecretsAdmin.MintsAsync(_kiln, _kiln.Demo.ClientSecret));
    }

    [Fact]
    public async Task A_new_secret_that_cannot_mint_is_deleted_again()
    {
        _kiln.Start();
        var oldUuid = await SecretsAdmin.FirstUuidAsync(_kiln);
        using var client = new ClientHarness(_kiln);
        var saved = false;
        var store = new CallbackSecretStore((_, _) => { saved = true; return Task.CompletedTask; });

        // A scope the credential is not granted: the real token endpoint refuses the proof with invalid_scope.
        var result = await client.Rotator.RotateAsync(Rotation(store, proofScopes: "photoshop_api"));

        Assert.Equal(RotationStepKind.ProveSecret, result.FailedStep);
        Assert.Contains("invalid_scope", result.Message);
        Assert.False(saved);
        Assert.Equal([oldUuid], await SecretsAdmin.UuidsAsync(_kiln, _kiln.Demo.ClientSecret));
        Assert.True(await SecretsAdmin.MintsAsync(_kiln, _kiln.Demo.ClientSecret));
    }

    [Fact]
    public async Task A_deadline_with_the_old_secret_still_in_use_keeps_both_secrets()
    {
        _kiln.Start();
        var oldUuid = await SecretsAdmin.FirstUuidAsync(_kiln);
        using var client = new ClientHarness(_kiln);
        var store = new EnvFileSecretStore(Path.Combine(_dir, "app.env"));
        await File.WriteAllTextAsync(store.Path, "OTHER=1\nFIREFLY_SERVICES_CLIENT_SECRET=old\n");

        // The old secret minted a token moments ago; it cannot look idle for an hour within one second.
        var result = await client.Rotator.RotateAsync(Rotation(store, idle: TimeSpan.FromHours(1), deadline: TimeSpan.FromSeconds(1)));

        Assert.Equal(RotationStepKind.WaitForIdle, result.FailedStep);
        Assert.Contains($"kiln secrets delete {oldUuid}", result.NextAction);
        var stored = await store.LoadAsync(default);
        Assert.Equal(["OTHER=1", $"FIREFLY_SERVICES_CLIENT_SECRET={stored}"], await File.ReadAllLinesAsync(store.Path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.Path));
        Assert.Equal([oldUuid, result.NewSecretUuid!], await SecretsAdmin.UuidsAsync(_kiln, stored!));
        Assert.True(await SecretsAdmin.MintsAsync(_kiln, stored!));
        Assert.True(await SecretsAdmin.MintsAsync(_kiln, _kiln.Demo.ClientSecret));
    }

    [Fact]
    public async Task A_failed_delete_keeps_both_secrets_and_the_new_one_works()
    {
        _kiln.Start();
        var oldUuid = await SecretsAdmin.FirstUuidAsync(_kiln);
        using var client = new ClientHarness(_kiln);
        client.ConsoleFault = r => r.Method == HttpMethod.Delete
            ? new HttpResponseMessage(HttpStatusCode.Forbidden) { Content = new StringContent("""{"error_code":"access_error","message":"denied by policy"}""", System.Text.Encoding.UTF8, "application/json") }
            : null;
        var store = new FileSecretStore(Path.Combine(_dir, "secret"));

        var result = await client.Rotator.RotateAsync(Rotation(store));

        Assert.Equal(RotationStepKind.DeleteOldSecret, result.FailedStep);
        Assert.Contains("denied by policy", result.Message);
        Assert.Contains($"kiln secrets delete {oldUuid}", result.NextAction);
        var stored = (await store.LoadAsync(default))!;
        Assert.Equal([oldUuid, result.NewSecretUuid!], await SecretsAdmin.UuidsAsync(_kiln, stored));
        Assert.True(await SecretsAdmin.MintsAsync(_kiln, stored));
    }

    [Fact]
    public async Task A_credential_at_its_secret_limit_fails_at_add_and_nothing_changes()
    {
        _kiln.Start();
        await SecretsAdmin.AddAsync(_kiln); // the default limit is 2
        var before = await SecretsAdmin.UuidsAsync(_kiln, _kiln.Demo.ClientSecret);
        using var client = new ClientHarness(_kiln);
        var store = new FileSecretStore(Path.Combine(_dir, "secret"));

        var result = await client.Rotator.RotateAsync(Rotation(store));

        Assert.Equal(RotationStepKind.AddSecret, result.FailedStep);
        Assert.Contains("kiln secrets delete", result.NextAction);
        Assert.Equal(before, await SecretsAdmin.UuidsAsync(_kiln, _kiln.Demo.ClientSecret));
        Assert.False(File.Exists(store.Path));
    }
}
