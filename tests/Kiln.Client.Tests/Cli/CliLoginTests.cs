using System.Text.Json;

namespace Kiln.Client.Tests.Cli;

/// <summary><c>kiln login</c> (device flow) and <c>kiln logout</c> as a process, against the stub IMS.</summary>
public sealed class CliLoginTests : IAsyncLifetime
{
    private readonly Infrastructure.Cli _cli = new();
    private FireflyStubServer _ff = null!;

    public async Task InitializeAsync() => _ff = await FireflyStubServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _ff.DisposeAsync();
        _cli.Dispose();
    }

    [Fact]
    public async Task Login_shows_the_code_polls_and_stores_the_token_and_logout_forgets_it()
    {
        var login = await _cli.RunAsync("login", "--base-url", _ff.BaseUrl);
        Assert.True(login.Code == 0, login.ToString());
        Assert.Contains($"Open {_ff.BaseUrl}/device and enter the code WXYZ-1234", login.Err);
        Assert.DoesNotContain("stub-user-token", login.Out + login.Err);
        var profile = JsonDocument.Parse(await File.ReadAllTextAsync(_cli.ProfilePath())).RootElement;
        Assert.Equal("stub-user-token", profile.GetProperty("access_token").GetString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cli.ProfilePath()));
        Assert.Equal("stub-user-token", (await _cli.RunAsync("token")).Out.Trim()); // the stored token is used

        var logout = await _cli.RunAsync("logout", "--json");
        Assert.True(logout.Code == 0, logout.ToString());
        Assert.True(JsonDocument.Parse(logout.Out).RootElement.GetProperty("signed_out").GetBoolean());
        Assert.False(JsonDocument.Parse(await File.ReadAllTextAsync(_cli.ProfilePath())).RootElement.TryGetProperty("access_token", out _));
        Assert.Contains(_ff.Requests, r => r.StartsWith("POST /ims/invalidate_token/v2", StringComparison.Ordinal));
        Assert.Equal(2, (await _cli.RunAsync("token")).Code); // nothing to authenticate with any more
    }

    [Fact]
    public async Task An_expired_stored_token_is_a_usage_error()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_cli.ProfilePath())!);
        await File.WriteAllTextAsync(_cli.ProfilePath(), """{"client_id":"kiln-cli","access_token":"old","access_token_expires_at":1000}""");
        var r = await _cli.RunAsync("token");
        Assert.Equal(2, r.Code);
        Assert.Contains("kiln login", r.Err);
    }
}
