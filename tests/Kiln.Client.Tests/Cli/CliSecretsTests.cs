using System.Text.Json;
using Kiln.Client.Tests.Infrastructure;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Client.Tests.Cli;

/// <summary><c>kiln secrets list|add|delete|rotate</c> as a process against a real Kiln.</summary>
public sealed class CliSecretsTests : IDisposable
{
    private readonly KilnFactory _kiln = new();
    private readonly Infrastructure.Cli _cli = new();

    public void Dispose()
    {
        _kiln.Dispose();
        _cli.Dispose();
    }

    private async Task ConfigureAsync()
    {
        _kiln.Start();
        var r = await _cli.RunAsync("configure", "--from", Path.Combine(_kiln.DataDir, "demo-credential.json"), "--base-url", _kiln.BaseAddress.ToString());
        Assert.True(r.Code == 0, r.ToString());
    }

    [Fact]
    public async Task List_shows_a_table_or_json_and_never_a_secret()
    {
        await ConfigureAsync();
        var uuid = await SecretsAdmin.FirstUuidAsync(_kiln);
        var table = await _cli.RunAsync("secrets", "list");
        Assert.True(table.Code == 0, table.ToString());
        Assert.Contains("UUID", table.Out);
        Assert.Contains(uuid, table.Out);
        Assert.Contains("1 secret(s)", table.Out);
        Assert.DoesNotContain(_kiln.Demo.ClientSecret, table.Out);

        var json = JsonDocument.Parse((await _cli.RunAsync("secrets", "list", "--json")).Out).RootElement;
        var s = Assert.Single(json.GetProperty("client_secrets").EnumerateArray());
        Assert.Equal(uuid, s.GetProperty("uuid").GetString());
        Assert.Equal("PERMANENT", s.GetProperty("expires_at").GetString());
    }

    [Fact]
    public async Task Add_prints_the_new_secret_which_works()
    {
        await ConfigureAsync();
        var json = await _cli.RunAsync("secrets", "add", "--json");
        Assert.True(json.Code == 0, json.ToString());
        var secret = JsonDocument.Parse(json.Out).RootElement.GetProperty("client_secret").GetString()!;
        Assert.True(await SecretsAdmin.MintsAsync(_kiln, secret));

        var third = await _cli.RunAsync("secrets", "add"); // the default limit is 2
        Assert.Equal(1, third.Code);
        Assert.Contains("secret_limit_reached", third.Err);
        Assert.Single(third.Err.TrimEnd().Split('\n'));
    }

    [Fact]
    public async Task Delete_asks_for_confirmation_and_force_skips_it()
    {
        await ConfigureAsync();
        var (uuid, _) = await SecretsAdmin.AddAsync(_kiln);

        var declined = await _cli.RunWithInputAsync("n\n", "secrets", "delete", uuid);
        Assert.Equal(2, declined.Code);
        Assert.Contains("Delete secret", declined.Err);
        Assert.Contains(uuid, await SecretsAdmin.UuidsAsync(_kiln, _kiln.Demo.ClientSecret));

        var noInput = await _cli.RunAsync("secrets", "delete", uuid);
        Assert.Equal(2, noInput.Code);

        var confirmed = await _cli.RunWithInputAsync("y\n", "secrets", "delete", uuid, "--json");
        Assert.True(confirmed.Code == 0, confirmed.ToString());
        Assert.Equal(uuid, JsonDocument.Parse(confirmed.Out).RootElement.GetProperty("deleted").GetString());
        Assert.DoesNotContain(uuid, await SecretsAdmin.UuidsAsync(_kiln, _kiln.Demo.ClientSecret));

        var unknown = await _cli.RunAsync("secrets", "delete", "0123456789abcdef0123456789abcdef", "--force");
        Assert.Equal(1, unknown.Code);
        Assert.StartsWith("kiln: 404", unknown.Err);

        var last = await _cli.RunAsync("secrets", "delete", await SecretsAdmin.FirstUuidAsync(_kiln), "--force");
        Assert.Equal(1, last.Code);
        Assert.Contains("last_secret", last.Err);

        Assert.Equal(2, (await _cli.RunAsync("secrets", "delete")).Code); // missing argument
    }

    [Fact]
    public async Task Rotate_with_yes_stores_the_new_secret_in_the_profile_and_deletes_the_old()
    {
        await ConfigureAsync();
        var oldUuid = await SecretsAdmin.FirstUuidAsync(_kiln);
        var r = await _cli.RunAsync("secrets", "rotate", "--yes", "--idle", "300ms", "--poll", "100ms", "--json");
        Assert.True(r.Code == 0, r.ToString());
        var json = JsonDocument.Parse(r.Out).RootElement;
        Assert.True(json.GetProperty("succeeded").GetBoolean());
        Assert.Equal(oldUuid, json.GetProperty("deleted")[0].GetString());
        Assert.DoesNotContain(_kiln.Demo.ClientSecret, r.Out);

        var profile = JsonDocument.Parse(await File.ReadAllTextAsync(_cli.ProfilePath())).RootElement;
        var stored = profile.GetProperty("client_secret").GetString()!;
        Assert.NotEqual(_kiln.Demo.ClientSecret, stored);
        Assert.DoesNotContain(stored, r.Out);
        Assert.True(await SecretsAdmin.MintsAsync(_kiln, stored));
        Assert.False(await SecretsAdmin.MintsAsync(_kiln, _kiln.Demo.ClientSecret));
        Assert.Equal(0, (await _cli.RunAsync("token")).Code);
    }

    [Fact]
    public async Task Rotate_shows_steps_and_reports_a_deadline_with_exit_1()
    {
        await ConfigureAsync();
        var file = Path.Combine(_cli.ConfigHome, "secret.txt");
        var r = await _cli.RunAsync("secrets", "rotate", "--yes", "--store", "file:" + file, "--idle", "1h", "--deadline", "500ms", "--poll", "100ms");
        Assert.Equal(1, r.Code);
        Assert.Contains("ok AddSecret", r.Out);
        Assert.Contains("ok StoreSecret", r.Out);
        Assert.Contains("failed WaitForIdle", r.Out);
        Assert.Contains("Next: ", r.Out);
        Assert.Contains("kiln: rotation stopped at WaitForIdle", r.Err);
        Assert.True(await SecretsAdmin.MintsAsync(_kiln, (await File.ReadAllTextAsync(file)).Trim()));
        Assert.True(await SecretsAdmin.MintsAsync(_kiln, _kiln.Demo.ClientSecret));

        Assert.Equal(2, (await _cli.RunAsync("secrets", "rotate")).Code); // not confirmed
        Assert.Equal(2, (await _cli.RunAsync("secrets", "rotate", "--yes", "--store", "s3:x")).Code);
        Assert.Equal(2, (await _cli.RunAsync("secrets", "rotate", "--yes", "--idle", "soon")).Code);
    }
}
