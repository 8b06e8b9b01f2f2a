namespace Kiln.Server.Firefly;

/// <summary>
/// The engine that renders a request, as named in metrics and spans (docs/operations.md#metrics). One place: the
/// built-in procedural engine for every request until another engine exists.
/// </summary>
public static class Engines
{
    public const string Procedural = "procedural";

    /// <summary>The engine label for a request.</summary>
    public static string Of(ImageSpec? spec)
    {
        _ = spec;
        return Procedural;
    }
}
