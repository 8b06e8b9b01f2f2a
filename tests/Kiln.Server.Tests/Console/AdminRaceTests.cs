using System.Net;
using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Tests.Console;

/// <summary>An org keeps an admin when its last two are demoted or removed at the same moment; one address is invited once.</summary>
public sealed class AdminRaceTests : IAsyncLifetime
{
    private readonly KilnFactory _kiln = new();
    private OtherOrg _org = null!;
    private long _a, _b;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _kiln.Start();
        _org = await _kiln.CreateOrgAsync("Two admins");
        _a = await _kiln.CreateUserAsync("a@example.com", _org.OrgId, "admin");
        _b = await _kiln.CreateUserAsync("b@example.com", _org.OrgId, "admin");
        _http = await _kiln.UserClientAsync(_a, _org.OrgId);
    }

    public Task DisposeAsync()
    {
        _kiln.Dispose();
        return Task.CompletedTask;
    }

    private string Member(long id) => $"/console/organizations/{_org.OrgId}/members/{id}";

    private Task<int> AdminsAsync() =>
        _kiln.WithDbAsync((db, _) => db.OrgMemberships.CountAsync(m => m.OrgId == _org.OrgId && m.Role == "admin"));

    /// <summary>Makes both users members and admins again (straight in the database) before the next round.</summary>
    private Task<int> ResetAsync() => _kiln.WithDbAsync(async (db, _) =>
    {
        foreach (var id in new[] { _a, _b })
            if (!await db.OrgMemberships.AnyAsync(m => m.OrgId == _org.OrgId && m.UserId == id))
                db.OrgMemberships.Add(new OrgMembership { OrgId = _org.OrgId, UserId = id, Role = "admin", CreatedAt = DateTimeOffset.UtcNow });
        await db.SaveChangesAsync();
        return await db.OrgMemberships.Where(m => m.OrgId == _org.OrgId).ExecuteUpdateAsync(s => s.SetProperty(m => m.Role, "admin"));
    });

    [Fact]
    public async Task Concurrent_demotions_leave_one_admin()
    {
        for (var round = 0; round < 5; round++)
        {
            await ResetAsync();
            var statuses = await Race.AllAsync(
                () => _http.PatchJsonAsync(Member(_a), new { role = "developer" }),
                () => _http.PatchJsonAsync(Member(_b), new { role = "developer" }));
            Assert.Equal(1, statuses.Count(HttpStatusCode.OK));
            Assert.Equal(1, await AdminsAsync());
        }
    }

    [Fact]
    public async Task Concurrent_removals_leave_one_admin()
    {
        for (var round = 0; round < 5; round++)
        {
            await ResetAsync();
            var statuses = await Race.AllAsync(() => _http.DeleteAsync(Member(_a)), () => _http.DeleteAsync(Member(_b)));
            Assert.Equal(1, statuses.Count(HttpStatusCode.NoContent));
            Assert.Equal(1, await AdminsAsync());
        }
    }

    [Fact]
    public async Task A_demotion_racing_a_removal_leaves_one_admin()
    {
        for (var round = 0; round < 5; round++)
        {
            await ResetAsync();
            var statuses = await Race.AllAsync(() => _http.PatchJsonAsync(Member(_a), new { role = "developer" }), () => _http.DeleteAsync(Member(_b)));
            Assert.Equal(1, statuses.Count(s => s is 200 or 204));
            Assert.Equal(1, await AdminsAsync());
        }
    }

    [Fact]
    public async Task Concurrent_invitations_of_one_address_make_one_member()
    {
        var statuses = await Race.AllAsync(8, _ => _http.PostJsonAsync($"/console/organizations/{_org.OrgId}/members",
            new { email = "invited@example.com", role = "developer" }));
        Assert.Equal(1, statuses.Count(HttpStatusCode.Created));
        Assert.Equal(7, statuses.Count(HttpStatusCode.Conflict));
        Assert.Equal(1, await _kiln.WithDbAsync((db, _) => db.Users.CountAsync(u => u.Email == "invited@example.com")));
    }
}
