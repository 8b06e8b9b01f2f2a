using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Ims;
using Kiln.Server.Users;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Console;

/// <summary>CLI sign-in with the device authorization grant (RFC 8628), end to end over HTTP.</summary>
public sealed class DeviceFlowTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    public DeviceFlowTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    [Fact]
    public async Task Code_pending_approve_token_then_the_console_api_with_kiln_cli()
    {
        var demo = _kiln.Start();
        var userId = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var start = await _kiln.StartDeviceAsync();
        var userCode = start.GetProperty("user_code").GetString()!;
        Assert.Matches("^[BCDFGHJKMNPQRSTVWXZ]{4}-[BCDFGHJKMNPQRSTVWXZ]{4}$", userCode);
        var verification = start.GetProperty("verification_uri").GetString()!;
        Assert.Equal(new Uri(_kiln.BaseAddress, "/console/device").ToString(), verification);
        Assert.Equal($"{verification}?user_code={userCode}", start.GetProperty("verification_uri_complete").GetString());
        Assert.Equal(600, start.GetProperty("expires_in").GetInt32());
        Assert.Equal(5, start.GetProperty("interval").GetInt32());
        var deviceCode = start.GetProperty("device_code").GetString()!;
        Assert.True(deviceCode.Length >= 40);

        await HttpAssert.OAuthErrorAsync(await _kiln.PollAsync(deviceCode), 400, "authorization_pending");
        Assert.Equal(DeviceDecision.Approved, await _kiln.ApproveAsync(userCode.ToLowerInvariant(), userId, _kiln.DemoOrg()));
        Assert.Equal(DeviceDecision.AlreadyDecided, await _kiln.ApproveAsync(userCode, userId, _kiln.DemoOrg()));

        var tokenJson = await HttpAssert.JsonAsync(await _kiln.PollAsync(deviceCode), 200);
        Assert.Equal("bearer", tokenJson.GetProperty("token_type").GetString());
        Assert.Equal(86399, tokenJson.GetProperty("expires_in").GetInt32());
        var token = tokenJson.GetProperty("access_token").GetString()!;
        var claims = Jwt.Payload(token);
        Assert.Equal("kiln-cli", claims.GetProperty("client_id").GetString());
        Assert.Equal($"{userId}@kiln.local", claims.GetProperty("user_id").GetString());
        Assert.Equal(demo.OrgCode, claims.GetProperty("org").GetString());
        Assert.Equal("access_token", claims.GetProperty("type").GetString());
        Assert.False(claims.TryGetProperty("cred", out _));
        Assert.False(claims.TryGetProperty("sid", out _));
        Assert.Equal("AdobeID,openid,read_organizations,adobeio_api,read_client_secret,manage_client_secrets", claims.GetProperty("scope").GetString());

        // A device code is good for one token.
        await HttpAssert.OAuthErrorAsync(await _kiln.PollAsync(deviceCode), 400, "invalid_grant");

        var http = _kiln.Authed(token, "kiln-cli");
        var projects = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects"), 200);
        Assert.Contains(projects.EnumerateArray(), p => p.GetProperty("id").GetString() == demo.ProjectId);
        var created = await http.NewProjectAsync(demo.OrgId, "fromcli");
        var audit = await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/audit?action=project.create"), 200);
        Assert.Equal($"{userId}@kiln.local", Assert.Single(audit.EnumerateArray()).GetProperty("actor").GetString());
        Assert.NotNull(created.ProjectId);
        await HttpAssert.GatewayErrorAsync(await _kiln.Authed(token, demo.ClientId).GetAsync("/console/organizations"), 403, "403003");

        var imsOrgs = await HttpAssert.JsonAsync(await _kiln.Authed(token, "kiln-cli").GetAsync("/ims/organizations/v6"), 200);
        Assert.Equal(demo.OrgCode, Assert.Single(imsOrgs.EnumerateArray()).GetProperty("orgCode").GetString());
    }

    [Fact]
    public async Task Polling_faster_than_the_interval_gets_slow_down()
    {
        _kiln.Start();
        var code = (await _kiln.StartDeviceAsync()).GetProperty("device_code").GetString()!;
        await HttpAssert.OAuthErrorAsync(await _kiln.PollAsync(code), 400, "authorization_pending");
        _clock.Advance(TimeSpan.FromSeconds(1));
        await HttpAssert.OAuthErrorAsync(await _kiln.PollAsync(code), 400, "slow_down");
        _clock.Advance(TimeSpan.FromSeconds(6)); // the interval is now 10 s
        await HttpAssert.OAuthErrorAsync(await _kiln.PollAsync(code), 400, "slow_down");
        _clock.Advance(TimeSpan.FromSeconds(16));
        await HttpAssert.OAuthErrorAsync(await _kiln.PollAsync(code), 400, "authorization_pending");
    }

    [Fact]
    public async Task An_expired_code_cannot_be_approved_or_polled()
    {
        _kiln.Start();
        var userId = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var start = await _kiln.StartDeviceAsync();
        _clock.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        Assert.Equal(DeviceDecision.Expired, await _kiln.ApproveAsync(start.GetProperty("user_code").GetString()!, userId, _kiln.DemoOrg()));
        await HttpAssert.OAuthErrorAsync(await _kiln.PollAsync(start.GetProperty("device_code").GetString()!), 400, "expired_token");
    }

    [Fact]
    public async Task An_approved_code_that_expires_before_the_poll_is_expired()
    {
        _kiln.Start();
        var userId = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var start = await _kiln.StartDeviceAsync();
        Assert.Equal(DeviceDecision.Approved, await _kiln.ApproveAsync(start.GetProperty("user_code").GetString()!, userId, _kiln.DemoOrg()));
        _clock.Advance(TimeSpan.FromMinutes(11));
        await HttpAssert.OAuthErrorAsync(await _kiln.PollAsync(start.GetProperty("device_code").GetString()!), 400, "expired_token");
    }

    [Fact]
    public async Task A_denied_code_gets_access_denied()
    {
        _kiln.Start();
        var userId = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var start = await _kiln.StartDeviceAsync();
        var decision = await _kiln.WithDbAsync((db, sp) => DeviceFlow.DenyAsync(db, _clock, start.GetProperty("user_code").GetString()!, userId, default));
        Assert.Equal(DeviceDecision.Denied, decision);
        await HttpAssert.OAuthErrorAsync(await _kiln.PollAsync(start.GetProperty("device_code").GetString()!), 400, "access_denied");
    }

    [Fact]
    public async Task Only_members_can_approve_and_only_for_their_org()
    {
        _kiln.Start();
        var other = await _kiln.CreateOrgAsync();
        var userId = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var start = await _kiln.StartDeviceAsync();
        var code = start.GetProperty("user_code").GetString()!;
        Assert.Equal(DeviceDecision.NotMember, await _kiln.ApproveAsync(code, userId, other.OrgId));
        Assert.Equal(DeviceDecision.NotFound, await _kiln.ApproveAsync("BCDF-GHJK", userId, _kiln.DemoOrg()));
        Assert.Equal(DeviceDecision.NotFound, await _kiln.ApproveAsync("not a code", userId, _kiln.DemoOrg()));
        await HttpAssert.OAuthErrorAsync(await _kiln.PollAsync(start.GetProperty("device_code").GetString()!), 400, "authorization_pending");
    }

    [Fact]
    public async Task Bad_requests_get_oauth_errors()
    {
        _kiln.Start();
        var http = _kiln.Http();
        await HttpAssert.OAuthErrorAsync(await http.PostFormAsync("/ims/device/code", ("scope", "openid")), 400, "invalid_request");
        await HttpAssert.OAuthErrorAsync(await http.PostFormAsync("/ims/device/code", ("client_id", "someone-else")), 400, "invalid_client");
        await HttpAssert.OAuthErrorAsync(await http.PostFormAsync("/ims/device/code", ("client_id", "kiln-cli"), ("scope", "firefly_api")), 400, "invalid_scope");
        var grant = ("grant_type", DeviceFlow.GrantType);
        await HttpAssert.OAuthErrorAsync(await http.PostFormAsync("/ims/token/v3", grant, ("client_id", "kiln-cli")), 400, "invalid_request");
        await HttpAssert.OAuthErrorAsync(await http.PostFormAsync("/ims/token/v3", grant, ("client_id", "x"), ("device_code", "y")), 400, "invalid_client");
        await HttpAssert.OAuthErrorAsync(await http.PostFormAsync("/ims/token/v3", grant, ("client_id", "kiln-cli"), ("device_code", "nope")), 400, "invalid_grant");
    }

    [Fact]
    public async Task A_narrower_scope_request_gets_a_narrower_token()
    {
        var demo = _kiln.Start();
        var userId = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var start = await _kiln.StartDeviceAsync("openid, read_organizations");
        await _kiln.ApproveAsync(start.GetProperty("user_code").GetString()!, userId, _kiln.DemoOrg());
        var token = (await HttpAssert.JsonAsync(await _kiln.PollAsync(start.GetProperty("device_code").GetString()!), 200)).GetProperty("access_token").GetString()!;
        Assert.Equal("openid,read_organizations", Jwt.Payload(token).GetProperty("scope").GetString());
        await HttpAssert.GatewayErrorAsync(await _kiln.Authed(token, "kiln-cli").GetAsync($"/console/organizations/{demo.OrgId}/projects"), 403, "access_error");
    }

    [Fact]
    public async Task Disabling_a_user_or_removing_the_membership_stops_the_token_at_once()
    {
        var demo = _kiln.Start();
        var userId = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var http = await _kiln.UserClientAsync(userId, _kiln.DemoOrg());
        var url = $"/console/organizations/{demo.OrgId}/projects";
        await HttpAssert.JsonAsync(await http.GetAsync(url), 200);

        await _kiln.WithDbAsync((db, sp) => UserAccounts.SetDisabledAsync(db, sp.GetRequiredService<UserCache>(), userId, true, default));
        await HttpAssert.GatewayErrorAsync(await http.GetAsync(url), 401, "401013");
        await _kiln.WithDbAsync((db, sp) => UserAccounts.SetDisabledAsync(db, sp.GetRequiredService<UserCache>(), userId, false, default));
        await HttpAssert.JsonAsync(await http.GetAsync(url), 200);

        await _kiln.WithDbAsync((db, sp) => sp.GetRequiredService<Members>().RemoveAsync(Kiln.Server.Core.Actor.System, _kiln.DemoOrg(), userId, default));
        await HttpAssert.GatewayErrorAsync(await http.GetAsync(url), 404, "not_found");
    }

    [Fact]
    public async Task A_password_reset_ends_the_users_existing_tokens()
    {
        var demo = _kiln.Start();
        var userId = await _kiln.CreateUserAsync("dev@example.com", _kiln.DemoOrg(), "developer");
        var old = await _kiln.UserClientAsync(userId, _kiln.DemoOrg());
        var url = $"/console/organizations/{demo.OrgId}/projects";
        await HttpAssert.JsonAsync(await old.GetAsync(url), 200);

        var error = await _kiln.WithDbAsync((db, sp) =>
            UserAccounts.ResetPasswordAsync(db, sp.GetRequiredService<UserCache>(), _clock, "dev@example.com", "brand-new-password", default));
        Assert.Null(error);
        await HttpAssert.GatewayErrorAsync(await old.GetAsync(url), 401, "401013");

        _clock.Advance(TimeSpan.FromSeconds(2));
        var fresh = await _kiln.UserClientAsync(userId, _kiln.DemoOrg());
        await HttpAssert.JsonAsync(await fresh.GetAsync(url), 200);
    }
}
