using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.Server.Tests.Ims;

/// <summary>last_used_at is tracked without a write per token request, and flushed on the interval.</summary>
public sealed class UsageTrackingTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private readonly KilnFactory _kiln;

    public UsageTrackingTests() => _kiln = new KilnFactory(_clock);

    public void Dispose() => _kiln.Dispose();

    private async Task<DateTimeOffset?> StoredLastUsedAsync()
    {
        using var scope = _kiln.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
        return await db.ClientSecrets.AsNoTracking().Select(s => s.LastUsedAt).SingleAsync();
    }

    [Fact]
    public async Task Token_mint_is_visible_at_once_but_written_only_when_the_interval_passes()
    {
        _kiln.Start();
        Assert.Null(await StoredLastUsedAsync());
        var minted = _clock.GetUtcNow();
        var http = await _kiln.DemoClientAsync(KilnFactory.IoScopes);
        for (var i = 0; i < 10; i++) await _kiln.DemoTokenAsync();

        // No write yet, but the API already shows the use.
        Assert.Null(await StoredLastUsedAsync());
        var list = await http.GetFromJsonAsync<JsonElement>($"/console/organizations/{_kiln.Demo.OrgId}/credentials/{_kiln.Demo.CredentialId}/secrets");
        var usage = list.GetProperty("client_secrets")[0].GetProperty("secret_usages")[0];
        Assert.Equal(minted.ToUnixTimeMilliseconds(), long.Parse(usage.GetProperty("last_used_at").GetString()!));

        _clock.Advance(TimeSpan.FromMinutes(1));
        DateTimeOffset? stored = null;
        for (var i = 0; i < 50 && stored is null; i++)
        {
            await Task.Delay(100);
            stored = await StoredLastUsedAsync();
        }
        Assert.Equal(minted.ToUnixTimeMilliseconds(), stored?.ToUnixTimeMilliseconds());
    }
}
