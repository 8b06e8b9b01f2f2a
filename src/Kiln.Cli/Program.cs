using System.CommandLine;
using Kiln.Cli.Commands;

var root = new RootCommand("kiln: a self-hosted, Firefly-compatible image platform and its command-line client.");
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(AdminCommand.Create());
// The web host handles SIGINT/SIGTERM itself (graceful drain and flush); System.CommandLine must not cut it short.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
