using System.CommandLine;
using Kiln.Cli.Commands;

Kiln.Server.Core.KilnCulture.UseInvariant();
if (args is ["--version"])
{
    // "kiln 0.1.0 (commit 48fdec1...)": the version and the commit it was built from (docs/operations.md#release-artifacts).
    Console.WriteLine(Kiln.Cli.Commands.VersionText.Line);
    return 0;
}
var root = new RootCommand("kiln: a self-hosted, Firefly-compatible image platform and its command-line client.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(AdminCommand.Create());
root.Subcommands.Add(TrustCommand.Create());
root.Subcommands.Add(EnvCommand.Create());
root.Subcommands.Add(ConfigureCommand.Create());
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(SecretsCommand.Create());
root.Subcommands.Add(ImageCommands.Generate());
root.Subcommands.Add(ImageCommands.Similar());
root.Subcommands.Add(ImageCommands.Expand());
root.Subcommands.Add(ImageCommands.Fill());
root.Subcommands.Add(ImageCommands.Composite());
root.Subcommands.Add(JobsCommand.Create());
root.Subcommands.Add(ConsoleCommands.Projects());
root.Subcommands.Add(ConsoleCommands.Credentials());
root.Subcommands.Add(UpstreamCommands.Upstream());
root.Subcommands.Add(UpstreamCommands.Engine());
root.Subcommands.Add(QuotaCommands.Quota());
root.Subcommands.Add(QuotaCommands.Usage());
root.Subcommands.Add(LoginCommand.Login());
root.Subcommands.Add(LoginCommand.Logout());
var parsed = root.Parse(args);
// The web host handles SIGINT/SIGTERM itself (graceful drain and flush); System.CommandLine must not cut it short.
var exit = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
// Usage errors exit with 2 (System.CommandLine's default is 1, which the client commands use for API errors).
return parsed.Errors.Count > 0 ? 2 : exit;
