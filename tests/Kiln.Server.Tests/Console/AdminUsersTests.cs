using System.Diagnostics;
using Kiln.Server.Core;
using Kiln.Server.Data;
using Kiln.Server.Tests.Infrastructure;
using Kiln.Server.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Server.Tests.Console;

/// <summary>The first-start admin and <c>kiln admin create-user|reset-password</c> (run as the real CLI process).</summary>
public sealed class AdminUsersTests : IDisposable
{
    private readonly KilnFactory _kiln = new();

    public void Dispose() => _kiln.Dispose();

    private static Task<(int Code, string Out, string Err)> KilnAsync(params string[] args) => KilnWithInputAsync(null, args);

    private static async Task<(int Code, string Out, string Err)> KilnWithInputAsync(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        psi.ArgumentList.Add(KilnProcess.KilnDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (args.Contains("--data")) foreach (var a in TestDatabase.CliArgs(args[Array.IndexOf(args, "--data") + 1])) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    private static string PasswordIn(string output) =>
        output.Split('\n').Single(l => l.StartsWith("Password (shown once): ", StringComparison.Ordinal))["Password (shown once): ".Length..].Trim();

    private Task<User?> VerifyAsync(string email, string password) =>
        _kiln.WithDbAsync((db, _) => UserAccounts.VerifyPasswordAsync(db, email, password, default));

    [Fact]
    public async Task First_start_creates_an_admin_with_a_0600_password_file_that_verifies()
    {
        _kiln.Start();
        var path = Path.Combine(_kiln.DataDir, "admin-password");
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var password = (await File.ReadAllTextAsync(path)).Trim();
        Assert.True(password.Length >= 20);
        var admin = await VerifyAsync("ADMIN@kiln.local ", password);
        Assert.NotNull(admin);
        Assert.Null(await VerifyAsync("admin@kiln.local", password + "x"));
        var role = await _kiln.WithDbAsync((db, _) => UserAccounts.RoleAsync(db, admin.Id, _kiln.DemoOrg(), default));
        Assert.Equal("admin", role);

        // Running the start-up tasks again (a restart) creates nobody and keeps the file.
        await _kiln.WithDbAsync(async (db, sp) =>
        {
            foreach (var task in sp.GetServices<IStartupTask>()) await task.RunAsync(sp, default);
            return 0;
        });
        Assert.Equal(1, await _kiln.WithDbAsync((db, _) => db.Users.CountAsync()));
        Assert.Equal(password, (await File.ReadAllTextAsync(path)).Trim());
    }

    [Fact]
    public async Task Kiln_serve_prints_the_first_admin_password_once_to_stdout()
    {
        var dir = Directory.CreateTempSubdirectory("kiln-admin-").FullName;
        try
        {
            await using var kiln = await KilnProcess.StartAsync(dir, env: new Dictionary<string, string> { ["Kiln__AdminEmail"] = "root@example.com" });
            var password = (await File.ReadAllTextAsync(Path.Combine(dir, "admin-password"))).Trim();
            for (var i = 0; i < 50 && !kiln.Output.Contains(password, StringComparison.Ordinal); i++) await Task.Delay(100);
            Assert.Contains("root@example.com", kiln.Output, StringComparison.Ordinal);
            Assert.Contains(password, kiln.Output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Create_user_with_a_generated_password_and_a_role_then_sign_in_through_the_device_flow()
    {
        var demo = _kiln.Start();
        var (code, stdout, stderr) = await KilnAsync("admin", "create-user", "--data", _kiln.DataDir, "--email", "Dev@Example.com", "--org", demo.OrgId, "--role", "developer");
        Assert.True(code == 0, stderr);
        var password = PasswordIn(stdout);
        var user = await VerifyAsync("dev@example.com", password);
        Assert.NotNull(user);
        Assert.Equal("developer", await _kiln.WithDbAsync((db, _) => UserAccounts.RoleAsync(db, user.Id, _kiln.DemoOrg(), default)));

        var http = await _kiln.UserClientAsync(user.Id, _kiln.DemoOrg());
        await HttpAssert.JsonAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/projects"), 200);
        await HttpAssert.GatewayErrorAsync(await http.GetAsync($"/console/organizations/{demo.OrgId}/members"), 403, "access_error");

        var again = await KilnAsync("admin", "create-user", "--data", _kiln.DataDir, "--email", "dev@example.com", "--password", "long-enough-1");
        Assert.Equal(1, again.Code);
        Assert.Contains("already exists", again.Err, StringComparison.Ordinal);
        var noOrg = await KilnAsync("admin", "create-user", "--data", _kiln.DataDir, "--email", "x@example.com", "--org", "12345", "--password", "long-enough-1");
        Assert.Equal(1, noOrg.Code);
        var badRole = await KilnAsync("admin", "create-user", "--data", _kiln.DataDir, "--email", "y@example.com", "--org", demo.OrgId, "--role", "owner");
        Assert.NotEqual(0, badRole.Code);
        Assert.Null(await _kiln.WithDbAsync((db, _) => UserAccounts.FindByEmailAsync(db, "y@example.com", default)));
    }

    [Fact]
    public async Task Reset_password_sets_a_given_or_generated_password()
    {
        _kiln.Start();
        var (code, _, err) = await KilnAsync("admin", "create-user", "--data", _kiln.DataDir, "--email", "ops@example.com", "--password", "first-password");
        Assert.True(code == 0, err);
        Assert.NotNull(await VerifyAsync("ops@example.com", "first-password"));

        var reset = await KilnAsync("admin", "reset-password", "--data", _kiln.DataDir, "--email", "OPS@example.com", "--password", "second-password");
        Assert.True(reset.Code == 0, reset.Err);
        Assert.DoesNotContain("second-password", reset.Out, StringComparison.Ordinal);
        Assert.Null(await VerifyAsync("ops@example.com", "first-password"));
        Assert.NotNull(await VerifyAsync("ops@example.com", "second-password"));

        var generated = await KilnAsync("admin", "reset-password", "--data", _kiln.DataDir, "--email", "ops@example.com");
        Assert.True(generated.Code == 0, generated.Err);
        Assert.NotNull(await VerifyAsync("ops@example.com", PasswordIn(generated.Out)));

        var unknown = await KilnAsync("admin", "reset-password", "--data", _kiln.DataDir, "--email", "ghost@example.com", "--password", "whatever-123");
        Assert.Equal(1, unknown.Code);
        var tooShort = await KilnAsync("admin", "reset-password", "--data", _kiln.DataDir, "--email", "ops@example.com", "--password", "short");
        Assert.Equal(1, tooShort.Code);
    }

    /// <summary>docs/security.md: a chosen password need not be on the command line (ps, shell history).</summary>
    [Fact]
    public async Task Create_user_and_reset_password_read_a_chosen_password_from_stdin_or_a_file()
    {
        _kiln.Start();
        var created = await KilnWithInputAsync("stdin-password-1\n", "admin", "create-user", "--data", _kiln.DataDir, "--email", "in@example.com", "--password-stdin");
        Assert.True(created.Code == 0, created.Err);
        Assert.DoesNotContain("stdin-password-1", created.Out, StringComparison.Ordinal);
        Assert.NotNull(await VerifyAsync("in@example.com", "stdin-password-1"));

        var file = Path.Combine(_kiln.DataDir, "chosen-password");
        await File.WriteAllTextAsync(file, "file-password-2\n");
        var reset = await KilnAsync("admin", "reset-password", "--data", _kiln.DataDir, "--email", "in@example.com", "--password-file", file);
        Assert.True(reset.Code == 0, reset.Err);
        Assert.DoesNotContain("file-password-2", reset.Out, StringComparison.Ordinal);
        Assert.Null(await VerifyAsync("in@example.com", "stdin-password-1"));
        Assert.NotNull(await VerifyAsync("in@example.com", "file-password-2"));

        var both = await KilnWithInputAsync("x\n", "admin", "reset-password", "--data", _kiln.DataDir, "--email", "in@example.com", "--password-stdin", "--password", "other-password-3");
        Assert.Equal(1, both.Code);
        var empty = await KilnWithInputAsync("", "admin", "reset-password", "--data", _kiln.DataDir, "--email", "in@example.com", "--password-stdin");
        Assert.Equal(1, empty.Code);
        Assert.NotNull(await VerifyAsync("in@example.com", "file-password-2"));
    }
}
