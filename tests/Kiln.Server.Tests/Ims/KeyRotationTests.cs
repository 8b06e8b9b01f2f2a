using System.Diagnostics;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Kiln.Server.Tests.Ims;

/// <summary>A new key signs; the old one verifies until its tokens expire; `kiln admin rotate-keys` rotates.</summary>
public sealed class KeyRotationTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    public KeyRotationTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    private string SecretsUrl => $"/console/organizations/{_kiln.Demo.OrgId}/credentials/{_kiln.Demo.CredentialId}/secrets";

    private async Task RotateAsync()
    {
        using var scope = _kiln.Services.CreateScope();
        await KeyRing.RotateAsync(scope.ServiceProvider.GetRequiredService<KilnDb>(), scope.ServiceProvider.GetRequiredService<Kiln.Server.Core.KeyEncryption>(), _clock, default);
        await _kiln.Services.GetRequiredService<KeyRing>().RefreshAsync(default);
    }

    private async Task<IList<string>> JwksKidsAsync() =>
        new JsonWebKeySet(await _kiln.Http().GetStringAsync("/ims/keys")).Keys.Select(k => k.Kid).ToList();

    [Fact]
    public async Task New_key_signs_and_old_key_still_verifies_until_its_tokens_expire()
    {
        _kiln.Start();
        var oldToken = await _kiln.DemoTokenAsync(KilnFactory.IoScopes);
        var oldKid = Jwt.Header(oldToken).GetProperty("kid").GetString();

        await RotateAsync();
        var newToken = await _kiln.DemoTokenAsync(KilnFactory.IoScopes);
        var newKid = Jwt.Header(newToken).GetProperty("kid").GetString();
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal(new[] { oldKid, newKid }.Order(), (await JwksKidsAsync()).Order());
        await HttpAssert.JsonAsync(await _kiln.Authed(oldToken, _kiln.Demo.ClientId).GetAsync(SecretsUrl), 200);
        await HttpAssert.JsonAsync(await _kiln.Authed(newToken, _kiln.Demo.ClientId).GetAsync(SecretsUrl), 200);

        // Once every token the old key signed has expired, it leaves the key set.
        _clock.Advance(TimeSpan.FromHours(25));
        await _kiln.Services.GetRequiredService<KeyRing>().RefreshAsync(default);
        Assert.Equal([newKid!], await JwksKidsAsync());
    }

    [Fact]
    public async Task Admin_command_rotates_the_keys_of_a_running_server()
    {
        _kiln.With("Kiln:Ims:KeyRefreshInterval", "00:00:01").Start();
        var before = Jwt.Header(await _kiln.DemoTokenAsync()).GetProperty("kid").GetString();

        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { KilnProcess.KilnDll, "admin", "rotate-keys", "--data", _kiln.DataDir }.Concat(TestDatabase.CliArgs(_kiln.DataDir)))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, output + await p.StandardError.ReadToEndAsync());
        Assert.Contains("New signing key", output);

        // The server re-reads keys on its (fake-clock) refresh interval.
        string? after = before;
        for (var i = 0; i < 50 && after == before; i++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(100);
            after = Jwt.Header(await _kiln.DemoTokenAsync()).GetProperty("kid").GetString();
        }
        Assert.NotEqual(before, after);
        Assert.Contains(before, await JwksKidsAsync());
    }
}
