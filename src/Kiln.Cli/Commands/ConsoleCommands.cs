using System.CommandLine;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln projects ...</c> and <c>kiln credentials ...</c>: the Console REST API (docs/console.md#endpoints).</summary>
public static class ConsoleCommands
{
    private static readonly Option<bool> Force = new("--force") { Description = "Do not ask for confirmation" };
    private static readonly Option<string?> Description = new("--description") { Description = "Description" };

    public static Command Projects()
    {
        var cmd = new Command("projects", "List, create and delete projects").WithCommon(console: true);
        var list = new Command("list", "List the org's projects");
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var projects = await ctx.Console.ListProjectsAsync(ctx.RequireOrg(), ct);
            if (ctx.Json) { ctx.WriteJson(projects); return CliContext.Ok; }
            var table = new Table().AddColumns("ID", "NAME", "TITLE", "DESCRIPTION");
            foreach (var p in projects) table.AddRow(Markup.Escape(p.Id), Markup.Escape(p.Name ?? ""), Markup.Escape(p.Title ?? ""), Markup.Escape(p.Description ?? ""));
            ctx.Out.Write(table);
            return CliContext.Ok;
        }, ct));
        var name = new Argument<string>("name") { Description = "Project name" };
        var title = new Option<string?>("--title") { Description = "Title (default: the name)" };
        var create = new Command("create", "Create a project (with its Production workspace)") { name, title, Description };
        create.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var n = parse.GetValue(name)!;
            var p = await ctx.Console.CreateProjectAsync(ctx.RequireOrg(), n, parse.GetValue(title) ?? n, parse.GetValue(Description), ct);
            if (ctx.Json) ctx.WriteJson(p);
            else ctx.Out.WriteLine($"Created project {p.ProjectId} (workspace {p.WorkspaceId}).");
            return CliContext.Ok;
        }, ct));
        var id = new Argument<string>("projectId") { Description = "Project id" };
        var delete = new Command("delete", "Delete a project") { id, Force };
        delete.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var p = parse.GetValue(id)!;
            var org = ctx.RequireOrg();
            if (!parse.GetValue(Force) && !SecretsCommand.Confirm($"Delete project {p} and its credentials? [y/N] "))
                throw new CliUsageException("Not confirmed; nothing deleted (use --force in scripts).");
            await ctx.Console.DeleteProjectAsync(org, p, ct);
            if (ctx.Json) ctx.WriteJson(new { deleted = p });
            else ctx.Out.WriteLine($"Deleted project {p}.");
            return CliContext.Ok;
        }, ct));
        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(create);
        cmd.Subcommands.Add(delete);
        return cmd;
    }

    public static Command Credentials()
    {
        var project = new Option<string>("--project") { Description = "Project id", Required = true, Recursive = true };
        var workspace = new Option<string?>("--workspace") { Description = "Workspace id (default: the project's first workspace)", Recursive = true };
        var cmd = new Command("credentials", "List, create and delete OAuth server-to-server credentials") { project, workspace };
        cmd.WithCommon(console: true);
        async Task<(string Org, string Project, string Workspace)> Where(CliContext ctx, ParseResult parse)
        {
            var (org, p) = (ctx.RequireOrg(), parse.GetValue(project)!);
            if (parse.GetValue(workspace) is { } w) return (org, p, w);
            var all = await ctx.Console.ListWorkspacesAsync(org, p, ctx.Ct);
            return (org, p, all.Count > 0 ? all[0].Id : throw new CliUsageException($"Project {p} has no workspace; pass --workspace."));
        }
        var list = new Command("list", "List a workspace's credentials");
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var (o, p, w) = await Where(ctx, parse);
            var creds = await ctx.Console.ListCredentialsAsync(o, p, w, ct);
            if (ctx.Json) { ctx.WriteJson(creds); return CliContext.Ok; }
            var table = new Table().AddColumns("ID", "TYPE", "FLOW");
            foreach (var c in creds) table.AddRow(Markup.Escape(c.Id), Markup.Escape(c.IntegrationType ?? ""), Markup.Escape(c.FlowType ?? ""));
            ctx.Out.Write(table);
            return CliContext.Ok;
        }, ct));
        var name = new Argument<string>("name") { Description = "Credential name" };
        var create = new Command("create", "Create an OAuth server-to-server credential (prints its first secret once)") { name, Description };
        create.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var (o, p, w) = await Where(ctx, parse);
            var c = await ctx.Console.CreateCredentialAsync(o, p, w, parse.GetValue(name)!, parse.GetValue(Description), ct);
            if (ctx.Json) { ctx.WriteJson(c); return CliContext.Ok; }
            System.Console.Out.WriteLine($"credential_id: {c.Id}");
            System.Console.Out.WriteLine($"client_id:     {c.ApiKey}");
            if (c.ClientSecret is not null)
            {
                System.Console.Out.WriteLine($"client_secret: {c.ClientSecret}");
                System.Console.Error.WriteLine("Store the secret now; it cannot be shown again.");
            }
            return CliContext.Ok;
        }, ct));
        var id = new Argument<string>("credentialId") { Description = "Credential id" };
        var delete = new Command("delete", "Delete a credential (every client using it stops)") { id, Force };
        delete.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var (o, p, w) = await Where(ctx, parse);
            var c = parse.GetValue(id)!;
            if (!parse.GetValue(Force) && !SecretsCommand.Confirm($"Delete credential {c}? [y/N] "))
                throw new CliUsageException("Not confirmed; nothing deleted (use --force in scripts).");
            await ctx.Console.DeleteCredentialAsync(o, p, w, c, ct);
            if (ctx.Json) ctx.WriteJson(new { deleted = c });
            else ctx.Out.WriteLine($"Deleted credential {c}.");
            return CliContext.Ok;
        }, ct));
        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(create);
        cmd.Subcommands.Add(delete);
        return cmd;
    }
}
