using System.Reflection;

namespace Kiln.Server.Hosting.Telemetry;

/// <summary>Kiln's version as built: <c>0.1.0+&lt;commit&gt;</c> (InformationalVersion with the source revision).</summary>
public static class KilnVersion
{
    public static string Informational { get; } =
        typeof(KilnVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
}
