using System.CommandLine;
using Kiln.Cli.Commands;

var root = new RootCommand("kiln: a self-hosted, Firefly-compatible image platform and its command-line client.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(AdminCommand.Create());
root.Subcommands.Add(ConfigureCommand.Create());
root.Subcommands.Add(TokenCommand.Create());
root.Subcommands.Add(SecretsCommand.Create());
var parsed = root.Parse(args);
// Usage errors exit with 2 (System.CommandLine's default is 1, which the client commands use for API errors).
var exit = await parsed.InvokeAsync();
return parsed.Errors.Count > 0 ? 2 : exit;
