using System.CommandLine;
using System.Globalization;
using Kiln.Client;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary><c>kiln quota show|set</c> and <c>kiln usage</c>: image quotas and usage through the Console REST API (docs/console.md#quotas-and-usage).</summary>
public static class QuotaCommands
{
    private static readonly string[] Scopes = ["org", "project", "credential"];

    public static Command Quota()
    {
        var cmd = new Command("quota", "Show and set image quotas (images per minute, day and month)").WithCommon(console: true);
        var scope = new Argument<string?>("scope") { Description = "org, project or credential (default: every level with limits)", Arity = ArgumentArity.ZeroOrOne };
        scope.AcceptOnlyFromAmong(Scopes);
        var id = new Argument<string?>("id") { Description = "The project or credential id", Arity = ArgumentArity.ZeroOrOne };
        var show = new Command("show", "Show limits and what the current windows used") { scope, id };
        show.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var org = ctx.RequireOrg();
            var s = parse.GetValue(scope);
            var quotas = s is null ? await ctx.Console.ListQuotasAsync(org, ct) : [await ctx.Console.GetQuotaAsync(org, ScopeOf(s), Target(s, parse.GetValue(id)), ct)];
            if (ctx.Json) { ctx.WriteJson(quotas); return CliContext.Ok; }
            var table = new Table().AddColumns("LEVEL", "ID", "PER MINUTE", "PER DAY", "PER MONTH");
            foreach (var q in quotas)
                table.AddRow(Name(q.Scope), q.Id, Cell(q.Used.Minute, q.Effective.PerMinute, q.Limits.PerMinute), Cell(q.Used.Day, q.Effective.PerDay, q.Limits.PerDay),
                    Cell(q.Used.Month, q.Effective.PerMonth, q.Limits.PerMonth));
            ctx.Out.Write(table);
            ctx.Out.WriteLine("used / limit; (default) marks a configured default.");
            return CliContext.Ok;
        }, ct));

        var setScope = new Argument<string>("scope") { Description = "org, project or credential" };
        setScope.AcceptOnlyFromAmong(Scopes);
        var setId = new Argument<string?>("id") { Description = "The project or credential id", Arity = ArgumentArity.ZeroOrOne };
        var perMinute = new Option<string?>("--per-minute") { Description = "Images per minute: a number, or 'default'" };
        var perDay = new Option<string?>("--per-day") { Description = "Images per UTC day: a number, or 'default'" };
        var perMonth = new Option<string?>("--per-month") { Description = "Images per UTC month: a number, or 'default'" };
        var set = new Command("set", "Set a level's limits (org admins only); limits not named keep their value") { setScope, setId, perMinute, perDay, perMonth };
        set.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var org = ctx.RequireOrg();
            var s = parse.GetValue(setScope)!;
            var target = Target(s, parse.GetValue(setId));
            var current = (await ctx.Console.GetQuotaAsync(org, ScopeOf(s), target, ct)).Limits;
            var limits = new QuotaLimits(Value(parse.GetValue(perMinute), current.PerMinute, "--per-minute"), Value(parse.GetValue(perDay), current.PerDay, "--per-day"),
                Value(parse.GetValue(perMonth), current.PerMonth, "--per-month"));
            var q = await ctx.Console.SetQuotaAsync(org, ScopeOf(s), target, limits, ct);
            if (ctx.Json) ctx.WriteJson(q);
            else ctx.Out.WriteLine($"{Name(q.Scope)} {q.Id}: per minute {Text(q.Effective.PerMinute)}, per day {Text(q.Effective.PerDay)}, per month {Text(q.Effective.PerMonth)}.");
            return CliContext.Ok;
        }, ct));
        cmd.Subcommands.Add(show);
        cmd.Subcommands.Add(set);
        return cmd;
    }

    public static Command Usage()
    {
        var from = new Option<string?>("--from") { Description = "First UTC day, YYYY-MM-DD (default: the first of this month)" };
        var to = new Option<string?>("--to") { Description = "Last UTC day, YYYY-MM-DD (default: today)" };
        var groupBy = new Option<string?>("--group-by") { Description = "Comma-separated: day, project, credential, operation, engine (default: day)" };
        var project = new Option<string?>("--project") { Description = "Only this project" };
        var cmd = new Command("usage", "Image usage of the org (or a project): a table, or --json") { from, to, groupBy, project };
        cmd.WithCommon(console: true);
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var query = new UsageQuery
            {
                From = Day(parse.GetValue(from), "--from"), To = Day(parse.GetValue(to), "--to"), ProjectId = parse.GetValue(project),
                GroupBy = parse.GetValue(groupBy)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            };
            var usage = await ctx.Console.GetUsageAsync(ctx.RequireOrg(), query, ct);
            if (ctx.Json) { ctx.WriteJson(usage); return CliContext.Ok; }
            var table = new Table();
            foreach (var d in usage.GroupBy) table.AddColumn(d.ToUpperInvariant());
            table.AddColumns("IMAGES", "REQUESTS", "REFUSED", "UPSTREAM 429");
            foreach (var r in usage.Rows)
            {
                var cells = usage.GroupBy.Select(d => d switch
                {
                    "day" => r.Day, "project" => r.ProjectId, "credential" => r.CredentialId, "operation" => r.Operation, _ => r.Engine,
                }).Select(v => Markup.Escape(v ?? "")).ToList();
                cells.AddRange([N(r.Images), N(r.Requests), N(r.QuotaRefusals), N(r.UpstreamRateLimited)]);
                table.AddRow(cells.ToArray());
            }
            ctx.Out.Write(table);
            var t = usage.Totals;
            ctx.Out.WriteLine($"{usage.From} to {usage.To}: {N(t.Images)} images in {N(t.Requests)} requests; {N(t.QuotaRefusals)} refused by a quota; {N(t.UpstreamRateLimited)} upstream 429s.");
            return CliContext.Ok;
        }, ct));
        return cmd;
    }

    /// <summary>The scope argument (one of <see cref="Scopes"/>, checked by the parser) as the client's enum.</summary>
    private static QuotaScope ScopeOf(string scope) => Enum.Parse<QuotaScope>(scope, ignoreCase: true);

    private static string Name(QuotaScope scope) => scope.ToString().ToLowerInvariant();

    private static string? Target(string scope, string? id) => scope == "org" ? null
        : id ?? throw new CliUsageException($"A {scope} id is required: kiln quota ... {scope} ID");

    private static int? Value(string? text, int? current, string option)
    {
        if (text is null) return current;
        if (text.Equals("default", StringComparison.OrdinalIgnoreCase)) return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n
            : throw new CliUsageException($"{option}: '{text}' is not a positive number or 'default'.");
    }

    private static DateOnly? Day(string? text, string option) => text is null ? null
        : DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d
        : throw new CliUsageException($"{option}: '{text}' is not a date (YYYY-MM-DD).");

    private static string Cell(long used, int? effective, int? own) =>
        $"{N(used)} / {Text(effective)}" + (own is null && effective is not null ? " (default)" : "");

    private static string Text(int? limit) => limit is { } l ? N(l) : "no limit";

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
}
