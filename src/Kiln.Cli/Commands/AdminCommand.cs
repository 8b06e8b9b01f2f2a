using System.CommandLine;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Hosting;
using Kiln.Server.Ims;
using Kiln.Server.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln admin ...</c>: server-side operations that work on the database directly.</summary>
public static class AdminCommand
{
    public static Command Create()
    {
        var admin = new Command("admin", "Server-side administration (works on the database directly)");
        admin.Subcommands.Add(Migrate());
        admin.Subcommands.Add(RotateKeys());
        admin.Subcommands.Add(RotateKek());
        admin.Subcommands.Add(CreateUser());
        admin.Subcommands.Add(ResetPassword());
        return admin;
    }

    private static Command Migrate()
    {
        var cmd = new Command("migrate", "Apply pending database migrations (SQLite under --data, or PostgreSQL with --database)")
        {
            ServeCommand.Data, ServeCommand.Database,
        };
        cmd.SetAction(Guarded(async (parse, ct) =>
        {
            await using var sp = Services(parse);
            await using var scope = sp.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<KilnDb>();
            var pending = await Schema.MigrateAsync(db, ct);
            System.Console.WriteLine(pending.Count == 0 ? "The database is up to date." : $"Applied {pending.Count} migration(s): {string.Join(", ", pending)}");
            return 0;
        }));
        return cmd;
    }

    private static Command RotateKeys()
    {
        var cmd = new Command("rotate-keys", "Add a new token-signing key; the old key keeps verifying until its tokens expire")
        {
            ServeCommand.Data, ServeCommand.Database,
        };
        cmd.SetAction(Guarded(async (parse, ct) =>
        {
            await using var store = await MigratedDb.OpenAsync(parse, ct);
            var db = store.Db;
            var kid = await KeyRing.RotateAsync(db, store.Services.GetRequiredService<KeyEncryption>(), TimeProvider.System, ct);
            System.Console.WriteLine($"New signing key {kid}. Running nodes pick it up within their key refresh interval.");
            return 0;
        }));
        return cmd;
    }

    private static Command RotateKek()
    {
        var cmd = new Command("rotate-kek", "Re-wrap every private key under a new key-encryption key (docs/security.md#rotating-the-key-encryption-key)")
        {
            ServeCommand.Data, ServeCommand.Database,
        };
        cmd.SetAction(Guarded(async (parse, ct) =>
        {
            await using var store = await MigratedDb.OpenAsync(parse, ct);
            var db = store.Db;
            var kek = store.Services.GetRequiredService<KeyEncryption>();
            var (count, keyId) = await KeysAtRest.RotateAsync(db, kek, ct);
            System.Console.WriteLine($"Re-wrapped {count.SigningKeys} signing keys, {count.Settings} settings and {count.DataProtectionKeys} Data Protection keys under key-encryption key {keyId}.");
            System.Console.WriteLine(kek.Source.FilePath is { } file
                ? $"{file} now holds only the new key; the old one opens nothing. Restart Kiln (copy the file to every node that uses it first)."
                : $"Now set Kiln:KeyEncryptionKey / {KeyEncryption.EnvironmentVariable} to the new key alone on every node and restart them.");
            return 0;
        }));
        return cmd;
    }

    private static readonly Option<string> Email = new("--email") { Description = "The user's email address", Required = true };
    private static readonly Option<string?> Password = new("--password")
    {
        Description = "The password (8+ characters; visible in ps and shell history: prefer --password-stdin or --password-file); omitted: a random one, printed once",
    };
    private static readonly Option<bool> PasswordStdin = new("--password-stdin") { Description = "Read the password from the first line of standard input" };
    private static readonly Option<FileInfo?> PasswordFile = new("--password-file") { Description = "Read the password from the first line of this file" };

    /// <summary>
    /// The chosen password from <c>--password</c>, <c>--password-stdin</c> or <c>--password-file</c> (at most one), or null
    /// for a generated one; <paramref name="error"/> says why none could be read.
    /// </summary>
    private static string? ChosenPassword(ParseResult parse, out string? error)
    {
        error = null;
        var given = parse.GetValue(Password);
        var file = parse.GetValue(PasswordFile);
        var stdin = parse.GetValue(PasswordStdin);
        if ((given is not null ? 1 : 0) + (file is not null ? 1 : 0) + (stdin ? 1 : 0) > 1)
        {
            error = "Give at most one of --password, --password-stdin and --password-file.";
            return null;
        }
        if (given is not null) return given;
        string? line;
        if (stdin) line = System.Console.In.ReadLine();
        else if (file is not null)
        {
            try
            {
                line = File.ReadLines(file.FullName).FirstOrDefault();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = $"Cannot read {file.FullName}: {e.Message}";
                return null;
            }
        }
        else return null;
        line = line?.TrimEnd('\r', '\n');
        if (string.IsNullOrEmpty(line)) error = stdin ? "No password on standard input." : $"No password in {file!.FullName}.";
        return line;
    }

    private static Command CreateUser()
    {
        var org = new Option<string?>("--org") { Description = "Make the user a member of this org (numeric org id)" };
        var role = new Option<string>("--role") { Description = "Role in --org: admin or developer", DefaultValueFactory = _ => "developer" };
        role.AcceptOnlyFromAmong("admin", "developer");
        var cmd = new Command("create-user", "Create a console user (and optionally add it to an org)")
        {
            Email, Password, PasswordStdin, PasswordFile, org, role, ServeCommand.Data, ServeCommand.Database,
        };
        cmd.SetAction(Guarded(async (parse, ct) =>
        {
            var chosen = ChosenPassword(parse, out var passwordError);
            if (passwordError is not null) return Fail(passwordError);
            await using var store = await MigratedDb.OpenAsync(parse, ct);
            var db = store.Db;
            long? orgId = null;
            if (parse.GetValue(org) is { } orgText)
            {
                if (!Ids.TryParseId(orgText, out var id) || !await db.Orgs.AnyAsync(o => o.Id == id, ct))
                    return Fail($"No org with id '{orgText}'.");
                orgId = id;
            }
            var password = chosen ?? UserAccounts.NewPassword();
            var (user, error) = await UserAccounts.CreateAsync(db, TimeProvider.System, parse.GetValue(Email)!, password, ct);
            if (user is null) return Fail(error!.Message);
            if (orgId is { } o)
            {
                var added = await new Members(db, TimeProvider.System).AddAsync(Kiln.Server.Core.Actor.System, o, user.Email, parse.GetValue(role), ct);
                if (added.Failed(out var memberError, out _)) return Fail(memberError.Message);
            }
            System.Console.WriteLine($"User {user.Email} created (id {user.Id}){(orgId is null ? "" : $", {parse.GetValue(role)} of org {orgId}")}.");
            if (chosen is null) System.Console.WriteLine($"Password (shown once): {password}");
            return 0;
        }));
        return cmd;
    }

    private static Command ResetPassword()
    {
        var cmd = new Command("reset-password", "Set a new password for a console user (running servers see it within seconds)")
        {
            Email, Password, PasswordStdin, PasswordFile, ServeCommand.Data, ServeCommand.Database,
        };
        cmd.SetAction(Guarded(async (parse, ct) =>
        {
            var chosen = ChosenPassword(parse, out var passwordError);
            if (passwordError is not null) return Fail(passwordError);
            await using var store = await MigratedDb.OpenAsync(parse, ct);
            var db = store.Db;
            var password = chosen ?? UserAccounts.NewPassword();
            if (await UserAccounts.ResetPasswordAsync(db, null, TimeProvider.System, parse.GetValue(Email)!, password, ct) is { } error) return Fail(error.Message);
            System.Console.WriteLine($"Password of {UserAccounts.Normalize(parse.GetValue(Email)!)} reset.");
            if (chosen is null) System.Console.WriteLine($"Password (shown once): {password}");
            return 0;
        }));
        return cmd;
    }

    private static int Fail(string message)
    {
        System.Console.Error.WriteLine("error: " + message);
        return 1;
    }

    /// <summary>
    /// The data services only, configured like <c>kiln serve</c> would be, after the same preparation: the data
    /// directory secured and the key-encryption key loaded (<see cref="KilnInitializer.PrepareData"/>).
    /// </summary>
    /// <summary>The database the command names (its data directory or connection string), migrated to the current schema.</summary>
    private sealed class MigratedDb(ServiceProvider services, AsyncServiceScope scope) : IAsyncDisposable
    {
        public ServiceProvider Services => services;
        public KilnDb Db { get; } = scope.ServiceProvider.GetRequiredService<KilnDb>();

        public static async Task<MigratedDb> OpenAsync(ParseResult parse, CancellationToken ct)
        {
            var sp = AdminCommand.Services(parse);
            var store = new MigratedDb(sp, sp.CreateAsyncScope());
            try
            {
                await Schema.MigrateAsync(store.Db, ct);
                return store;
            }
            catch
            {
                await store.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            await scope.DisposeAsync();
            await services.DisposeAsync();
        }
    }

    internal static ServiceProvider Services(ParseResult parse)
    {
        var args = new List<string> { $"--Kiln:DataDir={parse.GetValue(ServeCommand.Data)}" };
        if (parse.GetValue(ServeCommand.Database) is { Length: > 0 } db) args.Add($"--Kiln:Database={db}");
        var config = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine([.. args]).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(config);
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddConsole(c => c.LogToStandardErrorThreshold = LogLevel.Trace));
        services.AddOptions<KilnOptions>().BindConfiguration(KilnOptions.Section);
        services.AddKilnData();
        var sp = services.BuildServiceProvider();
        try
        {
            KilnInitializer.PrepareData(sp.GetRequiredService<IOptions<KilnOptions>>().Value, sp.GetRequiredService<KeyEncryption>(),
                sp.GetRequiredService<ILoggerFactory>().CreateLogger("Kiln.Admin"));
        }
        catch
        {
            sp.Dispose();
            throw;
        }
        return sp;
    }

    /// <summary>An unsafe data directory or a missing key-encryption key ends the command with its message, not a stack trace.</summary>
    private static Func<ParseResult, CancellationToken, Task<int>> Guarded(Func<ParseResult, CancellationToken, Task<int>> action) => async (parse, ct) =>
    {
        try { return await action(parse, ct); }
        catch (Exception e) when (e is KeyEncryptionException or DataDirectoryException or OptionsValidationException) { return Fail(e.Message); }
    };
}
