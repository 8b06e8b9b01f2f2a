namespace Kiln.Server.Core;

/// <summary>
/// What Kiln prints for the person who started it, such as a secret shown once (the demo credential's commands, the
/// first admin's password). With JSON logs (docs/operations.md#structured-logs) stdout belongs to the log pipeline:
/// the banner is not printed, and one log line without the secret says where it is.
/// </summary>
public static class OperatorNotice
{
    public static void Show(IServiceProvider services, string banner, string category, string withoutSecret)
    {
        if (services.GetService<JsonConsoleLogs>() is null)
        {
            // Console, not ILogger: the secret is shown to the person who started Kiln and never reaches a log sink.
            System.Console.Out.WriteLine(banner);
            return;
        }
        services.GetRequiredService<ILoggerFactory>().CreateLogger(category).LogInformation("{Notice}", withoutSecret);
    }
}

/// <summary>Registered when the console logs are JSON (<c>--log-format json</c>).</summary>
public sealed class JsonConsoleLogs;
