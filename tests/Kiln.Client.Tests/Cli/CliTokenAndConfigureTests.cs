using System.Text.Json;
using Kiln.Server.Tests.Infrastructure;

namespace Kiln.Client.Tests.Cli;

/// <summary><c>kiln token</c> and <c>kiln configure</c> as a process: output, --json, exit codes, precedence.</summary>
public sealed class CliTokenAndConfigureTests : IDisposable
{
    private readonly KilnFactory _kiln = new();
    private readonly Infrastructure.Cli _cli = new();

    public void Dispose()
    {
        _kiln.Dispose();
        _cli.Dispose();
    }

    private string[] Flags(string? secret = null) =>
        ["--base-url", _kiln.BaseAddress.ToString(), "--client-id", _kiln.Demo.ClientId, "--client-secret", secret ?? _kiln.Demo.ClientSecret];

    [Fact]
    public async Task Token_prints_only_the_token_and_json_prints_the_response()
    {
        _kiln.Start();
        var plain = await _cli.RunAsync(["token", .. Flags()]);
        Assert.True(plain.Code == 0, plain.ToString());
        var token = plain.Out.TrimEnd('\n');
        Assert.DoesNotContain('\n', token);
        Assert.Equal(_kiln.Demo.ClientId, Jwt.Payload(token).GetProperty("client_id").GetString());
        Assert.Equal("", plain.Err);

        var json = await _cli.RunAsync(["token", "--json", "--scopes", "firefly_api,ff_apis", .. Flags()]);
        Assert.Equal(0, json.Code);
        var body = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal("bearer", body.GetProperty("token_type").GetString());
        Assert.InRange(body.GetProperty("expires_in").GetInt64(), 86000, 86400);
        Assert.Equal("firefly_api,ff_apis", Jwt.Payload(body.GetProperty("access_token").GetString()!).GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Token_errors_are_one_line_on_stderr_with_exit_1_and_usage_errors_exit_2()
    {
        _kiln.Start();
        var wrong = await _cli.RunAsync(["token", .. Flags("wrong-secret")]);
        Assert.Equal(1, wrong.Code);
        Assert.Equal("", wrong.Out);
        Assert.Equal("kiln: token request failed: invalid_client: invalid client_secret parameter", wrong.Err.TrimEnd());
        Assert.DoesNotContain("wrong-secret", wrong.Err);

        var noId = await _cli.RunAsync("token", "--base-url", _kiln.BaseAddress.ToString());
        Assert.Equal(2, noId.Code);
        Assert.Contains("No client id", noId.Err);

        var badOption = await _cli.RunAsync("token", "--no-such-option");
        Assert.Equal(2, badOption.Code);

        var badUrl = await _cli.RunAsync(["token", .. Flags(), "--base-url", "not a url"]);
        Assert.Equal(2, badUrl.Code);
    }

    [Fact]
    public async Task Environment_is_used_and_flags_win_over_it()
    {
        _kiln.Start();
        _cli.Env["KILN_BASE_URL"] = _kiln.BaseAddress.ToString();
        _cli.Env["FIREFLY_SERVICES_CLIENT_ID"] = _kiln.Demo.ClientId;
        _cli.Env["FIREFLY_SERVICES_CLIENT_SECRET"] = "wrong-from-env";
        Assert.Equal(1, (await _cli.RunAsync("token")).Code);
        var flagWins = await _cli.RunAsync("token", "--client-secret", _kiln.Demo.ClientSecret);
        Assert.True(flagWins.Code == 0, flagWins.ToString());

        // export FIREFLY_SERVICES_ACCESS_TOKEN=$(kiln token --scopes ...): later commands use it as is.
        _cli.Env["FIREFLY_SERVICES_CLIENT_SECRET"] = _kiln.Demo.ClientSecret;
        var token = (await _cli.RunAsync("token", "--scopes", KilnFactory.IoScopes)).Out.Trim();
        _cli.Env.Remove("FIREFLY_SERVICES_CLIENT_SECRET");
        _cli.Env["FIREFLY_SERVICES_ACCESS_TOKEN"] = token;
        var list = await _cli.RunAsync("secrets", "list", "--json", "--org", _kiln.Demo.OrgId, "--credential", _kiln.Demo.CredentialId);
        Assert.True(list.Code == 0, list.ToString());
        Assert.Equal(token, (await _cli.RunAsync("token")).Out.Trim());
    }

    /// <summary>docs/security.md: an existing config directory that others can read is tightened to 0700.</summary>
    [Fact]
    public async Task Configure_tightens_an_existing_config_directory_to_0700()
    {
        _kiln.Start();
        var dir = Path.Combine(_cli.ConfigHome, "kiln");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)Convert.ToInt32("755", 8));
        var r = await _cli.RunAsync("configure", "--from", Path.Combine(_kiln.DataDir, "demo-credential.json"), "--base-url", _kiln.BaseAddress.ToString());
        Assert.True(r.Code == 0, r.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
    }

    [Fact]
    public async Task Configure_from_demo_credential_writes_a_0600_profile_that_later_commands_use()
    {
        _kiln.Start();
        var demoFile = Path.Combine(_kiln.DataDir, "demo-credential.json");
        var r = await _cli.RunAsync("configure", "--from", demoFile, "--base-url", _kiln.BaseAddress.ToString());
        Assert.True(r.Code == 0, r.ToString());
        Assert.Contains(_cli.ProfilePath(), r.Out);
        Assert.DoesNotContain(_kiln.Demo.ClientSecret, r.Out);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cli.ProfilePath()));
        var profile = JsonDocument.Parse(await File.ReadAllTextAsync(_cli.ProfilePath())).RootElement;
        Assert.Equal(_kiln.Demo.CredentialId, profile.GetProperty("credential_id").GetString());
        Assert.Equal(_kiln.Demo.OrgId, profile.GetProperty("org_id").GetString());

        var token = await _cli.RunAsync("token");
        Assert.True(token.Code == 0, token.ToString());
        var list = await _cli.RunAsync("secrets", "list", "--json");
        Assert.True(list.Code == 0, list.ToString());
        Assert.Equal(_kiln.Demo.ClientId, JsonDocument.Parse(list.Out).RootElement.GetProperty("client_id").GetString());

        var other = await _cli.RunAsync("token", "--profile", "missing");
        Assert.Equal(2, other.Code);
    }

    [Fact]
    public async Task Configure_from_a_workspace_download_takes_the_oauth_server_to_server_block()
    {
        _kiln.Start();
        var d = _kiln.Demo;
        var workspace = new
        {
            project = new
            {
                id = d.ProjectId, name = "demo", title = "Demo", description = "",
                org = new
                {
                    id = d.OrgId, name = "Demo Org", ims_org_id = d.OrgCode,
                    workspace = new
                    {
                        id = d.WorkspaceId, name = "Production", title = "Production", description = "",
                        details = new
                        {
                            credentials = new[]
                            {
                                new
                                {
                                    id = d.CredentialId, name = "Demo credential", apiKey = d.ClientId, integration_type = "oauth_server_to_server",
                                    oauth_server_to_server = new { client_id = d.ClientId, client_secrets = new[] { d.ClientSecret }, technical_account_email = "x@techacct.adobe.com", technical_account_id = "x", scopes = new[] { "firefly_api", "ff_apis" } },
                                },
                            },
                        },
                    },
                },
            },
        };
        var file = Path.Combine(_cli.ConfigHome, "workspace.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(workspace));
        var r = await _cli.RunAsync("configure", "--from", file, "--base-url", _kiln.BaseAddress.ToString(), "--profile", "ws", "--json");
        Assert.True(r.Code == 0, r.ToString());
        var written = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal(d.CredentialId, written.GetProperty("credential_id").GetString());
        var token = await _cli.RunAsync("token", "--profile", "ws");
        Assert.True(token.Code == 0, token.ToString());
        Assert.Equal("firefly_api,ff_apis", Jwt.Payload(token.Out.Trim()).GetProperty("scope").GetString());

        Assert.Equal(2, (await _cli.RunAsync("configure", "--from", Path.Combine(_cli.ConfigHome, "nope.json"))).Code);
    }
}
