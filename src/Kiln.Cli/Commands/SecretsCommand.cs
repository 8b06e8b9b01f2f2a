using System.CommandLine;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln secrets list|add|delete|rotate</c>: the credential's client secrets (docs/console.md#client-secrets).</summary>
public static class SecretsCommand
{
    public static Command Create()
    {
        var cmd = new Command("secrets", "List, add, delete and rotate the credential's client secrets");
        cmd.WithCommon(console: true);
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Add());
        cmd.Subcommands.Add(Delete());
        cmd.Subcommands.Add(SecretsRotateCommand.Create());
        return cmd;
    }

    private static Command List()
    {
        var cmd = new Command("list", "List the secrets (never their values)");
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var (org, cred) = await ctx.CredentialAsync();
            var list = await ctx.Console.ListSecretsAsync(org, cred, ct);
            if (ctx.Json) { ctx.WriteJson(list); return CliContext.Ok; }
            var table = new Table().AddColumns("UUID", "CREATED", "EXPIRES", "LAST USED");
            foreach (var s in list.ClientSecrets)
                table.AddRow(s.Uuid, Time(s.CreatedAt), s.ExpiresAt is { } e ? Time(e) : s.ExpiresAtMs ?? "", s.LastUsedAt is { } u ? Time(u) : "never");
            ctx.Out.Write(table);
            ctx.Out.WriteLine($"{list.ClientSecrets.Count} secret(s) for client {list.ClientId}");
            return CliContext.Ok;
        }, ct));
        return cmd;
    }

    private static Command Add()
    {
        var cmd = new Command("add", "Add a secret and print it (shown only this once)");
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var (org, cred) = await ctx.CredentialAsync();
            var added = await ctx.Console.AddSecretAsync(org, cred, ct);
            if (ctx.Json) { ctx.WriteJson(added); return CliContext.Ok; }
            System.Console.Out.WriteLine($"uuid:          {added.Uuid}");
            System.Console.Out.WriteLine($"client_secret: {added.ClientSecret}");
            System.Console.Error.WriteLine("Store the secret now; it cannot be shown again.");
            return CliContext.Ok;
        }, ct));
        return cmd;
    }

    private static Command Delete()
    {
        var uuid = new Argument<string>("uuid") { Description = "The secret's uuid (see `kiln secrets list`)" };
        var force = new Option<bool>("--force") { Description = "Do not ask for confirmation" };
        var last = new Option<bool>("--last-secret") { Description = "Allow deleting the credential's last secret (stops every client)" };
        var cmd = new Command("delete", "Delete a secret (irreversible; tokens it minted stop working at once)") { uuid, force, last };
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var id = parse.GetValue(uuid)!;
            var (org, cred) = await ctx.CredentialAsync();
            if (!parse.GetValue(force) && !Confirm($"Delete secret {id}? Applications using it stop working. [y/N] "))
                throw new CliUsageException("Not confirmed; nothing deleted (use --force in scripts).");
            await ctx.Console.DeleteSecretAsync(org, cred, id, parse.GetValue(last), ct);
            if (ctx.Json) ctx.WriteJson(new { deleted = id });
            else ctx.Out.WriteLine($"Deleted secret {id}.");
            return CliContext.Ok;
        }, ct));
        return cmd;
    }

    /// <summary>Reads y/yes from stdin; end of input is "no".</summary>
    internal static bool Confirm(string question)
    {
        System.Console.Error.Write(question);
        var answer = System.Console.In.ReadLine()?.Trim();
        return answer is not null && (answer.Equals("y", StringComparison.OrdinalIgnoreCase) || answer.Equals("yes", StringComparison.OrdinalIgnoreCase));
    }

    internal static string Time(DateTimeOffset? t) => t?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) ?? "";
}
