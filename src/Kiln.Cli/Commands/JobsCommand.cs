using System.CommandLine;
using Kiln.Client;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln jobs status|cancel</c>.</summary>
public static class JobsCommand
{
    public static Command Create()
    {
        var cmd = new Command("jobs", "Async Firefly jobs").WithCommon();
        var id = new Argument<string>("jobId") { Description = "The job id (urn:ff:jobs:...)" };
        var wait = new Option<bool>("--wait") { Description = "Wait until the job finishes" };
        var status = new Command("status", "Show a job's status") { id, wait };
        status.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var job = ctx.Firefly.JobFromId(parse.GetValue(id)!);
            var s = parse.GetValue(wait) ? await JobDisplay.WaitAsync(ctx, job, TimeSpan.FromMinutes(10)) : await ctx.Firefly.GetJobStatusAsync(job, ct);
            Print(ctx, s);
            return CliContext.Ok;
        }, ct));
        var cancel = new Command("cancel", "Cancel a job") { id };
        cancel.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            Print(ctx, await ctx.Firefly.CancelJobAsync(ctx.Firefly.JobFromId(parse.GetValue(id)!), ct));
            return CliContext.Ok;
        }, ct));
        cmd.Subcommands.Add(status);
        cmd.Subcommands.Add(cancel);
        return cmd;
    }

    private static void Print(CliContext ctx, FireflyJobStatus s)
    {
        if (ctx.Json) { ctx.WriteJson(s); return; }
        var table = new Table().AddColumns("JOB", "STATUS", "PROGRESS", "OUTPUTS");
        table.AddRow(Markup.Escape(s.JobId), s.Status.ToString().ToLowerInvariant(), s.Progress is { } p ? $"{p:0}%" : "", Markup.Escape(string.Join(" ", s.Result?.Outputs.Select(o => o.Image.Url?.AbsoluteUri) ?? [])));
        ctx.Out.Write(table);
    }
}

/// <summary>Waits for a job with a live progress bar on a terminal, plain lines on stderr otherwise.</summary>
public static class JobDisplay
{
    public static async Task<FireflyJobStatus> WaitAsync(CliContext ctx, FireflyJob job, TimeSpan timeout)
    {
        if (ctx.Json || System.Console.IsOutputRedirected || System.Console.IsErrorRedirected)
        {
            FireflyJobState? last = null;
            var progress = new Sync(p =>
            {
                if (ctx.Json || p.Status == last) return;
                last = p.Status;
                System.Console.Error.WriteLine($"{job.JobId}: {p.Status.ToString().ToLowerInvariant()}{(p.Percent is { } pc ? $" {pc:0}%" : "")}");
            });
            return await ctx.Firefly.WaitForJobAsync(job, progress, timeout, ctx.Ct);
        }
        FireflyJobStatus? result = null;
        await AnsiConsole.Progress().AutoClear(false).StartAsync(async p =>
        {
            var task = p.AddTask($"[grey]{Markup.Escape(job.JobId)}[/] pending", maxValue: 100);
            var progress = new Sync(j =>
            {
                task.Description = $"[grey]{Markup.Escape(job.JobId)}[/] {j.Status.ToString().ToLowerInvariant()}{(j.FailedPolls > 0 ? $" ({j.FailedPolls} failed polls retried)" : "")}";
                if (j.Percent is { } pc) task.Value = pc;
            });
            result = await ctx.Firefly.WaitForJobAsync(job, progress, timeout, ctx.Ct);
            task.Value = 100;
        });
        return result!;
    }

    private sealed class Sync(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
