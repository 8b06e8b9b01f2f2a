namespace Kiln.Server.Tests.Security;

/// <summary>
/// The fuzzers' shared knobs. <c>KILN_FUZZ_SEED</c> replays a run (a fresh seed otherwise, printed on failure);
/// <c>KILN_FUZZ_ITERATIONS</c> sets the iteration count of every fuzzer; <c>KILN_FUZZ_LONG=1</c> switches each to its long budget.
/// Each iteration draws from its own <see cref="Random"/>, seeded from the run seed and the iteration number, so one
/// failing iteration replays alone with <c>KILN_FUZZ_ONLY=&lt;iteration&gt;</c>.
/// </summary>
public static class Fuzz
{
    public static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("KILN_FUZZ_SEED"), out var s) ? s : Environment.TickCount;

    public static bool Long => Environment.GetEnvironmentVariable("KILN_FUZZ_LONG") == "1";

    private static int? Only => int.TryParse(Environment.GetEnvironmentVariable("KILN_FUZZ_ONLY"), out var i) ? i : null;

    /// <summary>The iteration count: KILN_FUZZ_ITERATIONS, else the long or the CI budget.</summary>
    public static int Iterations(int ci, int longRun) =>
        int.TryParse(Environment.GetEnvironmentVariable("KILN_FUZZ_ITERATIONS"), out var n) ? n : Long ? longRun : ci;

    /// <summary>The iteration numbers to run (one, under KILN_FUZZ_ONLY).</summary>
    public static IEnumerable<int> Range(int count) => Only is { } one ? [one] : Enumerable.Range(0, count);

    /// <summary>The generator of one iteration of one fuzzer.</summary>
    public static Random For(string fuzzer, int iteration) =>
        new(unchecked(Seed * 31 + StableHash(fuzzer) * 17 + iteration * 7919));

    public static string Replay(string fuzzer, int iteration) =>
        $"[{fuzzer}] replay: KILN_FUZZ_SEED={Seed} KILN_FUZZ_ONLY={iteration}";

    private static int StableHash(string s)
    {
        var h = 17;
        foreach (var c in s) h = unchecked(h * 31 + c);
        return h;
    }
}
