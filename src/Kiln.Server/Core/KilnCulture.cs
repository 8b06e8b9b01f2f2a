using System.Globalization;

namespace Kiln.Server.Core;

/// <summary>
/// Kiln formats, parses and compares the same way on every machine: the invariant culture, whatever the locale. ICU is
/// loaded only for what needs Unicode data (NFC normalisation of names, docs/security.md#look-alike-names-and-accounts).
/// </summary>
public static class KilnCulture
{
    public static void UseInvariant()
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
    }
}
