using System.CommandLine;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Client;
using Spectre.Console;

namespace Kiln.Cli.Commands;

/// <summary>
/// <c>kiln upstream add|list|test|remove|rotate</c> and <c>kiln engine show|set</c> (docs/upstream.md#cli): an org admin's
/// upstream profiles and the engine of an org or project, over Kiln's REST API. The upstream secret is read from a file,
/// stdin or $KILN_UPSTREAM_CLIENT_SECRET, never from the command line.
/// </summary>
public static class UpstreamCommands
{
    public static Command Upstream()
    {
        var cmd = new Command("upstream", "Upstream Firefly services this org's images may be made by (org admins)");
        cmd.WithCommon(console: true);
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Add());
        cmd.Subcommands.Add(Test());
        cmd.Subcommands.Add(Remove());
        cmd.Subcommands.Add(Rotate());
        return cmd;
    }

    public static Command Engine()
    {
        var cmd = new Command("engine", "The image engine of the org or a project: procedural or upstream:NAME");
        cmd.WithCommon(console: true);
        var project = new Option<string?>("--project") { Description = "A project id: its override instead of the org's engine", Recursive = true };
        cmd.Options.Add(project);
        var show = new Command("show", "Show the engine");
        show.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var (status, body) = await CallAsync(ctx, HttpMethod.Get, EnginePath(ctx, parse.GetValue(project)), null, ct);
            return Print(ctx, status, body, b => ctx.Out.WriteLine($"engine: {b.GetProperty("engine").GetString()}"));
        }, ct));
        var engine = new Argument<string>("engine") { Description = "procedural, upstream:NAME, or (with --project) inherit" };
        var set = new Command("set", "Set the engine") { engine };
        set.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var value = parse.GetValue(engine);
            var (status, body) = await CallAsync(ctx, HttpMethod.Put, EnginePath(ctx, parse.GetValue(project)), new { engine = value == "inherit" ? null : value }, ct);
            return Print(ctx, status, body, b => ctx.Out.WriteLine($"engine: {b.GetProperty("engine").GetString()}"));
        }, ct));
        cmd.Subcommands.Add(show);
        cmd.Subcommands.Add(set);
        return cmd;
    }

    private static string EnginePath(CliContext ctx, string? project) =>
        project is null ? $"console/organizations/{ctx.RequireOrg()}/engine" : $"console/organizations/{ctx.RequireOrg()}/projects/{project}/engine";

    private static string Path(CliContext ctx, string rest = "") => $"console/organizations/{ctx.RequireOrg()}/upstreams{rest}";

    private static Command List()
    {
        var cmd = new Command("list", "List the org's upstream profiles (never their secrets)");
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var (status, body) = await CallAsync(ctx, HttpMethod.Get, Path(ctx), null, ct);
            return Print(ctx, status, body, b =>
            {
                var table = new Table().AddColumns("NAME", "CLIENT ID", "FIREFLY", "OUTPUTS", "ROTATION", "LAST ROTATED");
                foreach (var p in b.EnumerateArray())
                    table.AddRow(Markup.Escape(p.GetProperty("name").GetString()!), Markup.Escape(p.GetProperty("clientId").GetString()!),
                        Markup.Escape(p.GetProperty("fireflyBaseUrl").GetString()!), p.GetProperty("outputs").GetString()!,
                        p.GetProperty("rotateEveryDays").ValueKind == JsonValueKind.Number ? $"every {p.GetProperty("rotateEveryDays").GetInt32()} d" : "manual",
                        Markup.Escape(p.GetProperty("lastRotatedAt").ToString()));
                ctx.Out.Write(table);
            });
        }, ct));
        return cmd;
    }

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "The profile's name; the engine is upstream:NAME" };
        var clientId = new Option<string?>("--upstream-client-id") { Description = "The upstream credential's client id (API key)" };
        var secretFile = new Option<string?>("--upstream-secret-file") { Description = "A file holding the upstream client secret" };
        var secretStdin = new Option<bool>("--upstream-secret-stdin") { Description = "Read the upstream client secret from stdin" };
        var ims = new Option<string?>("--ims-url") { Description = "IMS base URL (default Adobe's)" };
        var firefly = new Option<string?>("--firefly-url") { Description = "Firefly base URL (default Adobe's)" };
        var console = new Option<string?>("--console-url") { Description = "I/O Management API base URL, for rotation (default Adobe's, or the Firefly URL when that is set)" };
        var scopes = new Option<string?>("--scopes") { Description = "Token scopes (default firefly_api,ff_apis)" };
        var org = new Option<string?>("--upstream-org") { Description = "The upstream org id (rotation)" };
        var cred = new Option<string?>("--upstream-credential") { Description = "The upstream credential id (rotation)" };
        var hosts = new Option<string[]>("--pass-through-host") { Description = "A source URL host sent to the upstream as it is (repeatable)", AllowMultipleArgumentsPerToken = true };
        var outputs = new Option<string?>("--outputs") { Description = "copy (default: into Kiln's store) or pass-through" };
        var every = new Option<int?>("--rotate-every-days") { Description = "Rotate the secret on a schedule (0: off)" };
        var replace = new Option<bool>("--replace") { Description = "Change an existing profile (the secret too, when one is given)" };
        var cmd = new Command("add", "Add an upstream profile (org admins)") { name, clientId, secretFile, secretStdin, ims, firefly, console, scopes, org, cred, hosts, outputs, every, replace };
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            string? secret = parse.GetValue(secretFile) is { } f ? (await File.ReadAllTextAsync(f, ct)).Trim()
                : parse.GetValue(secretStdin) ? (await System.Console.In.ReadToEndAsync(ct)).Trim()
                : CliContext.Env("KILN_UPSTREAM_CLIENT_SECRET");
            if (secret is null && !parse.GetValue(replace))
                throw new CliUsageException("No upstream client secret: pass --upstream-secret-file, --upstream-secret-stdin or set KILN_UPSTREAM_CLIENT_SECRET.");
            var body = new
            {
                name = parse.GetValue(name), clientId = parse.GetValue(clientId), clientSecret = secret, imsBaseUrl = parse.GetValue(ims), fireflyBaseUrl = parse.GetValue(firefly),
                consoleBaseUrl = parse.GetValue(console), scopes = parse.GetValue(scopes), upstreamOrgId = parse.GetValue(org), upstreamCredentialId = parse.GetValue(cred),
                passThroughHosts = parse.GetValue(hosts) is { Length: > 0 } h ? h : null, outputs = parse.GetValue(outputs), rotateEveryDays = parse.GetValue(every),
            };
            var (status, result) = await CallAsync(ctx, HttpMethod.Post, Path(ctx, parse.GetValue(replace) ? "?replace=true" : ""), body, ct);
            return Print(ctx, status, result, b => ctx.Out.WriteLine($"Upstream '{b.GetProperty("name").GetString()}' saved; check it with `kiln upstream test {b.GetProperty("name").GetString()}`."));
        }, ct));
        return cmd;
    }

    private static Command Test()
    {
        var name = new Argument<string>("name");
        var cmd = new Command("test", "Mint a token with the stored secret and call the upstream; says exactly what failed") { name };
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var (status, body) = await CallAsync(ctx, HttpMethod.Post, Path(ctx, "/" + Uri.EscapeDataString(parse.GetValue(name)!) + "/test"), null, ct);
            var code = Print(ctx, status, body, b =>
            {
                foreach (var c in b.GetProperty("checks").EnumerateArray())
                    ctx.Out.MarkupLine($"{(c.GetProperty("ok").GetBoolean() ? "[green]ok[/]  " : "[red]FAIL[/]")} {Markup.Escape(c.GetProperty("check").GetString()!)}: {Markup.Escape(c.GetProperty("message").GetString()!)}");
            });
            return code == CliContext.Ok && body?.GetProperty("ok").GetBoolean() == false ? CliContext.ApiError : code;
        }, ct));
        return cmd;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name");
        var cmd = new Command("remove", "Remove an upstream profile (not while an engine uses it)") { name };
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var (status, body) = await CallAsync(ctx, HttpMethod.Delete, Path(ctx, "/" + Uri.EscapeDataString(parse.GetValue(name)!)), null, ct);
            return Print(ctx, status, body, _ => ctx.Out.WriteLine($"Removed upstream '{parse.GetValue(name)}'."));
        }, ct));
        return cmd;
    }

    private static Command Rotate()
    {
        var name = new Argument<string>("name");
        var cmd = new Command("rotate", "Rotate the upstream client secret: add, prove, store, switch, wait until idle, delete the old one") { name };
        cmd.SetAction((parse, ct) => CliContext.RunAsync(parse, async ctx =>
        {
            var (status, body) = await CallAsync(ctx, HttpMethod.Post, Path(ctx, "/" + Uri.EscapeDataString(parse.GetValue(name)!) + "/rotate"), null, ct);
            var code = Print(ctx, status, body, b =>
            {
                foreach (var s in b.GetProperty("steps").EnumerateArray()) ctx.Out.WriteLine(s.GetString()!);
                ctx.Out.WriteLine(b.GetProperty("message").GetString()!);
                if (b.GetProperty("nextAction").GetString() is { } next) ctx.Out.WriteLine("Next: " + next);
            });
            return code == CliContext.Ok && body?.GetProperty("succeeded").GetBoolean() == false ? CliContext.ApiError : code;
        }, ct));
        return cmd;
    }

    /// <summary>One REST call with a Console-scoped token; no retries (a rotation must not run twice) and no client timeout.</summary>
    private static async Task<(int Status, JsonElement? Body)> CallAsync(CliContext ctx, HttpMethod method, string path, object? body, CancellationToken ct)
    {
        var token = await ctx.Tokens.GetTokenAsync(KilnClientOptions.IoManagementScopes, ct);
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var req = new HttpRequestMessage(method, new Uri(ctx.Console.BaseAddress, path));
        req.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
        req.Headers.Add("x-api-key", ctx.ClientId);
        if (body is not null) req.Content = JsonContent.Create(body);
        using var res = await http.SendAsync(req, ct);
        var text = await res.Content.ReadAsStringAsync(ct);
        return ((int)res.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : null);
    }

    private static int Print(CliContext ctx, int status, JsonElement? body, Action<JsonElement> human)
    {
        if (status >= 400)
        {
            var message = body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty("message", out var m) ? m.GetString() : body?.ToString();
            System.Console.Error.WriteLine($"kiln: HTTP {status}: {message}");
            return CliContext.ApiError;
        }
        if (ctx.Json) { System.Console.Out.WriteLine(body?.ToString() ?? "{}"); return CliContext.Ok; }
        if (body is { } json) human(json);
        return CliContext.Ok;
    }
}
