using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Conventions;

/// <summary>
/// Contexts are leased from a pool (docs/architecture.md#pooled-contexts). A scope that gets an instance another scope
/// used must find it reset: no tracked entity and no transaction from before, and the database free for its writes.
/// </summary>
public sealed class PooledContextTests
{
    [Fact]
    public async Task A_context_comes_back_from_the_pool_without_the_last_scopes_entities_or_transaction()
    {
        await using var kiln = new KilnFactory();
        kiln.Start();
        Guid instance;
        await using (var scope = kiln.Services.CreateAsyncScope())
        {
            var used = scope.ServiceProvider.GetRequiredService<KilnDb>();
            Assert.True(used.ContextId.Lease > 0, "KilnDb is not leased from a pool");
            instance = used.ContextId.InstanceId;
            used.ServerSettings.Add(new ServerSetting { Key = "pool-test-unsaved", Value = "left behind" });
            await used.Database.BeginTransactionAsync(); // never committed nor disposed by this scope
            await used.Database.ExecuteSqlRawAsync("""UPDATE "ServerSettings" SET "Value" = "Value" WHERE "Key" = 'none'""");
        }

        // The pool hands out what was returned first; lease until the same instance comes round again.
        for (var attempt = 0; attempt < 64; attempt++)
        {
            await using var scope = kiln.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            if (db.ContextId.InstanceId != instance) continue;
            Assert.Empty(db.ChangeTracker.Entries());
            Assert.Null(db.Database.CurrentTransaction);
            db.ServerSettings.Add(new ServerSetting { Key = "pool-test-saved", Value = "written after the reuse" });
            await db.SaveChangesAsync(); // would wait for the write lock (SQLite) or the row (PostgreSQL) a leaked transaction held
            Assert.False(await db.ServerSettings.AnyAsync(s => s.Key == "pool-test-unsaved"));
            return;
        }
        Assert.Fail("The context was not handed out again after 64 leases.");
    }
}
