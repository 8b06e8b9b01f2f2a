using System.CommandLine;
using Kiln.Client;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln secrets rotate</c>: runs <see cref="SecretRotator"/> with a step display.</summary>
public static class SecretsRotateCommand
{
    public static Command Create()
    {
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation (scripts)" };
        var store = new Option<string?>("--store") { Description = "Where the new secret goes: profile (default when the secret came from a profile), file:PATH, env:PATH[:KEY]" };
        var idle = new Option<string?>("--idle") { Description = "The old secret must be unused this long before it is deleted (default 10m)" };
        var deadline = new Option<string?>("--deadline") { Description = "Give up waiting after this long, keeping both secrets (default 1h)" };
        var poll = new Option<string?>("--poll") { Description = "How often to check the old secret's last use (default 30s)" };
        var old = new Option<string?>("--old") { Description = "The secret to retire (default: every existing secret)" };
        var force = new Option<bool>("--delete-at-deadline") { Description = "Delete the old secret at the deadline even if still in use" };
        var cmd = new Command("rotate", "Zero-downtime rotation: add, prove, store, wait until the old secret is idle, delete it")
        {
            yes, store, idle, deadline, poll, old, force,
        };
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var (org, cred) = await ctx.CredentialAsync();
            var target = Store(ctx, parse.GetValue(store));
            var options = new SecretRotationOptions
            {
                OrgId = org, CredentialId = cred, Store = target.Store, OldSecretUuid = parse.GetValue(old),
                IdleWindow = CliOptions.Duration(parse.GetValue(idle), "--idle", TimeSpan.FromMinutes(10)),
                Deadline = CliOptions.Duration(parse.GetValue(deadline), "--deadline", TimeSpan.FromHours(1)),
                PollInterval = CliOptions.Duration(parse.GetValue(poll), "--poll", TimeSpan.FromSeconds(30)),
                DeleteAtDeadline = parse.GetValue(force),
            };
            if (!parse.GetValue(yes) && !SecretsCommand.Confirm($"Rotate the secret of credential {cred}; the new one goes to {target.Label}. Continue? [y/N] "))
                throw new CliUsageException("Not confirmed; nothing changed (use --yes in scripts).");
            var steps = new List<RotationStep>();
            var progress = new SyncProgress(step =>
            {
                steps.Add(step);
                if (ctx.Json) return;
                var mark = step.Status switch
                {
                    RotationStepStatus.Succeeded => "[green]ok[/]",
                    RotationStepStatus.Failed => "[red]failed[/]",
                    RotationStepStatus.Waiting => "[yellow]waiting[/]",
                    _ => "[grey]...[/]",
                };
                ctx.Out.MarkupLine($"{mark} {Markup.Escape(step.Kind.ToString())}: {Markup.Escape(step.Message)}");
            });
            var result = await ctx.Rotator.RotateAsync(options, progress, ct);
            if (ctx.Json)
                ctx.WriteJson(new
                {
                    succeeded = result.Succeeded, failed_step = result.FailedStep?.ToString(), new_secret_uuid = result.NewSecretUuid,
                    deleted = result.DeletedSecretUuids, remaining = result.RemainingSecretUuids, message = result.Message,
                    next_action = result.NextAction, store = target.Label,
                    steps = steps.Select(s => new { step = s.Kind.ToString(), status = s.Status.ToString(), message = s.Message }),
                });
            else
            {
                ctx.Out.WriteLine(result.Message);
                if (result.NextAction.Length > 0) ctx.Out.WriteLine("Next: " + result.NextAction);
            }
            if (!result.Succeeded && !ctx.Json) System.Console.Error.WriteLine($"kiln: rotation stopped at {result.FailedStep}: {result.Message}");
            return result.Succeeded ? CliContext.Ok : CliContext.ApiError;
        }, ct));
        return cmd;
    }

    private sealed class SyncProgress(Action<RotationStep> report) : IProgress<RotationStep>
    {
        public void Report(RotationStep value) => report(value);
    }

    private static (ISecretStore Store, string Label) Store(CliContext ctx, string? spec)
    {
        if (spec is null or "profile")
        {
            if (spec is null && !ctx.SecretFromProfile)
                throw new CliUsageException("The secret did not come from a profile: pass --store file:PATH, env:PATH or profile.");
            var name = ctx.ProfileName;
            return (new CallbackSecretStore(
                async (secret, ct) => await CliProfile.SaveAsync(name, (CliProfile.Load(name) ?? new CliProfile()) with { ClientSecret = secret }, ct),
                _ => Task.FromResult(CliProfile.Load(name)?.ClientSecret)), $"profile '{name}' ({CliProfile.PathOf(name)})");
        }
        if (spec.StartsWith("file:", StringComparison.Ordinal) && spec.Length > 5) return (new FileSecretStore(spec[5..]), spec);
        if (spec.StartsWith("env:", StringComparison.Ordinal) && spec.Length > 4)
        {
            var rest = spec[4..];
            var colon = rest.LastIndexOf(':');
            return colon > 0 && rest[(colon + 1)..].All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
                ? (new EnvFileSecretStore(rest[..colon], rest[(colon + 1)..]), spec)
                : (new EnvFileSecretStore(rest), spec);
        }
        throw new CliUsageException($"--store '{spec}': use profile, file:PATH or env:PATH[:KEY].");
    }
}
