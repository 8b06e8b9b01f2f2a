using System.CommandLine;
using Kiln.Server.Data;
using Kiln.Server.Hosting;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln admin ...</c>: server-side operations that work on the database directly.</summary>
public static class AdminCommand
{
    public static Command Create()
    {
        var admin = new Command("admin", "Server-side administration (works on the database directly)");
        admin.Subcommands.Add(Migrate());
        admin.Subcommands.Add(RotateKeys());
        return admin;
    }

    private static Command Migrate()
    {
        var cmd = new Command("migrate", "Apply pending database migrations (SQLite under --data, or PostgreSQL with --database)")
        {
            ServeCommand.Data, ServeCommand.Database,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var sp = Services(parse);
            await using var scope = sp.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
            await db.Database.MigrateAsync(ct);
            System.Console.WriteLine(pending.Count == 0 ? "The database is up to date." : $"Applied {pending.Count} migration(s): {string.Join(", ", pending)}");
            return 0;
        });
        return cmd;
    }

    private static Command RotateKeys()
    {
        var cmd = new Command("rotate-keys", "Add a new token-signing key; the old key keeps verifying until its tokens expire")
        {
            ServeCommand.Data, ServeCommand.Database,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            await using var sp = Services(parse);
            await using var scope = sp.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            await db.Database.MigrateAsync(ct);
            var kid = await KeyRing.RotateAsync(db, TimeProvider.System, ct);
            System.Console.WriteLine($"New signing key {kid}. Running nodes pick it up within their key refresh interval.");
            return 0;
        });
        return cmd;
    }

    /// <summary>The data services only, configured like <c>kiln serve</c> would be.</summary>
    internal static ServiceProvider Services(ParseResult parse)
    {
        var args = new List<string> { $"--Kiln:DataDir={parse.GetValue(ServeCommand.Data)}" };
        if (parse.GetValue(ServeCommand.Database) is { Length: > 0 } db) args.Add($"--Kiln:Database={db}");
        var config = new ConfigurationBuilder().AddCommandLine([.. args]).AddEnvironmentVariables().Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(config);
        services.AddOptions<KilnOptions>().BindConfiguration(KilnOptions.Section);
        services.AddKilnData();
        Directory.CreateDirectory(Path.GetFullPath(parse.GetValue(ServeCommand.Data)!));
        return services.BuildServiceProvider();
    }
}
