namespace Kiln.Server.Core;

/// <summary>Feature areas that need one-time work at start-up (for example the first admin user).</summary>
public interface IStartupTask
{
    Task RunAsync(IServiceProvider services, CancellationToken ct);
}
