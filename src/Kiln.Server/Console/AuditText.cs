using System.Globalization;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Ims;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Server.Console;

/// <summary>
/// Audit records as a person reads them (docs/console-ui.md#audit-log): who by name (a user's email, a credential's
/// name) and what as a sentence. Names are looked up when the log is read; a deleted user or credential shows its id.
/// </summary>
public sealed class AuditNames
{
    private readonly Dictionary<long, string> _users = [];
    private readonly Dictionary<string, string> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<long, string> _credentials = [];
    private readonly Dictionary<long, string> _projects = [];

    public static async Task<AuditNames> LoadAsync(KilnDb db, long orgId, IReadOnlyCollection<AuditRecord> rows, CancellationToken ct)
    {
        var names = new AuditNames();
        var userIds = rows.Select(r => UserIds.TryParse(r.Actor, out var id) ? id : 0)
            .Concat(rows.Select(r => IdIn(r.Target, "user:") ?? 0)).Where(id => id > 0).Distinct().ToList();
        foreach (var u in await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).Select(u => new { u.Id, u.Email }).ToListAsync(ct))
            names._users[u.Id] = u.Email;
        var creds = await db.Credentials.AsNoTracking().Where(c => c.OrgId == orgId).Select(c => new { c.Id, c.ClientId, c.Name }).ToListAsync(ct);
        foreach (var c in creds)
        {
            names._clients[c.ClientId] = c.Name;
            names._credentials[c.Id] = c.Name;
        }
        foreach (var p in await db.Projects.AsNoTracking().Where(p => p.OrgId == orgId).Select(p => new { p.Id, p.Name }).ToListAsync(ct))
            names._projects[p.Id] = p.Name;
        return names;
    }

    /// <summary>The user's email, the credential's name, or the raw id when it no longer exists.</summary>
    public string ActorName(AuditRecord r) => r.ActorType switch
    {
        "user" when UserIds.TryParse(r.Actor, out var id) && _users.TryGetValue(id, out var email) => email,
        "credential" or "client" when _clients.TryGetValue(r.Actor, out var name) => name,
        "system" => "Kiln",
        _ => r.Actor,
    };

    /// <summary>The record as one sentence.</summary>
    public string Summary(AuditRecord r)
    {
        var d = r.Detail;
        var cred = Credential(r.Target);
        return r.Action switch
        {
            "bootstrap" => "Created the demo org, project and credential.",
            "member.add" when d.StartsWith("first admin ", StringComparison.Ordinal) => $"Made {d["first admin ".Length..]} the first admin.",
            "member.add" => $"Added {d.Replace(" as ", " to the org as ", StringComparison.Ordinal)}.",
            "member.role" when d.Split(" -> ") is [var from, var to] => $"Changed the role of {User(r.Target)} from {from} to {to}.",
            "member.remove" => $"Removed {User(r.Target)} from the org.",
            "secret.add" => $"Added a client secret to {cred}{(d.Length > 0 ? $" ({d})" : "")}.",
            "secret.delete" => $"Deleted a client secret of {cred}{(d == "forced" ? " (forced: it was the last one)" : "")}.",
            "device.approve" => $"Approved a CLI sign-in ({Code(r.Target)}).",
            "device.deny" => $"Denied a CLI sign-in ({Code(r.Target)}).",
            "user.token" => "Signed in to the kiln CLI.",
            "user.signin" => "Signed in to the console.",
            "user.signin_failed" => $"Failed to sign in to the console as {(d.Length > 0 ? d : "(no email)")}: wrong email or password.",
            "user.signout" => "Signed out of the console.",
            "token.failed" => $"{Plural(r.Count, "failed token request")} for {(_clients.TryGetValue(r.Target, out var n) ? $"credential “{n}”" : $"client id {r.Target}")}.",
            "project.create" => $"Created project “{d}”.",
            "project.update" => $"Updated project “{d}”.",
            "project.delete" => $"Deleted project {WithCount(d)}.",
            "workspace.create" => $"Created workspace “{d}” in {Project(r.Target)}.",
            "workspace.update" => $"Updated workspace “{d}” in {Project(r.Target)}.",
            "workspace.delete" => $"Deleted workspace {WithCount(d)} in {Project(r.Target)}.",
            "credential.create" => CredentialCreated(d),
            "credential.delete" => $"Deleted credential “{d}”.",
            "credential.services.subscribe" => $"Added {Apis(d.Split(" -> ")[0])} to {cred}; it now has {Apis(d.Split(" -> ").ElementAtOrDefault(1) ?? "")}.",
            "credential.services.unsubscribe" => $"Removed {Apis(d.Split(" -> ")[0])} from {cred}; it now has {Apis(d.Split(" -> ").ElementAtOrDefault(1) ?? "")}.",
            "credential.token" => $"Generated an access token for {cred} in the console.",
            _ => d.Length > 0 ? $"{r.Action}: {d}" : r.Action,
        };
    }

    /// <summary>A long id cut to its ends ("2256…9362"); the page puts the whole id in a title.</summary>
    public static string Short(string id) => id.Length > 12 ? $"{id[..4]}…{id[^4..]}" : id;

    /// <summary>A target such as <c>credential:225610185173879362/secret:ab12…</c> with every long id shortened.</summary>
    public static string ShortTarget(string target) =>
        string.Join('/', target.Split('/').Select(part => part.IndexOf(':') is var i and > 0 ? part[..(i + 1)] + Short(part[(i + 1)..]) : Short(part)));

    private string CredentialCreated(string d)
    {
        var i = d.LastIndexOf("; services:", StringComparison.Ordinal);
        if (i < 0) return $"Created credential “{d}”.";
        return $"Created credential “{d[..i]}” with {Apis(d[(i + "; services:".Length)..])}.";
    }

    private static string Apis(string codes)
    {
        var names = codes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(c => Services.Find(c)?.Name ?? c).ToList();
        return names.Count switch
        {
            0 => "no APIs",
            1 => "the " + names[0],
            _ => "the " + string.Join(", the ", names[..^1]) + " and the " + names[^1],
        };
    }

    private static string WithCount(string d)
    {
        var i = d.LastIndexOf("; ", StringComparison.Ordinal);
        if (i < 0 || !int.TryParse(d[(i + 2)..].Split(' ')[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return $"“{d}”";
        return n == 0 ? $"“{d[..i]}”" : $"“{d[..i]}” and its {Plural(n, "credential")}";
    }

    private static string Plural(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n.ToString(CultureInfo.InvariantCulture)} {noun}s";

    private string User(string target) =>
        IdIn(target, "user:") is { } id && _users.TryGetValue(id, out var email) ? email : "a user who no longer exists";

    private string Credential(string target) =>
        IdIn(target, "credential:") is { } id && _credentials.TryGetValue(id, out var name) ? $"credential “{name}”" : "a deleted credential";

    private string Project(string target) =>
        IdIn(target, "project:") is { } id && _projects.TryGetValue(id, out var name) ? $"project “{name}”" : "a deleted project";

    private static string Code(string target) => target.StartsWith("device:", StringComparison.Ordinal) ? "code " + target["device:".Length..] : target;

    private static long? IdIn(string target, string prefix)
    {
        var i = target.IndexOf(prefix, StringComparison.Ordinal);
        if (i < 0) return null;
        var rest = target[(i + prefix.Length)..];
        var end = rest.IndexOf('/');
        return long.TryParse(end < 0 ? rest : rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }
}
