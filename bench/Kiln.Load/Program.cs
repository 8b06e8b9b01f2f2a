using System.Globalization;
using Kiln.Load;

int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
// crash <kiln.dll> <sqlite|postgres-admin-connection> [rounds=20] [max-seconds=1200] [port=58090] [seed]
if (args.Length > 0 && args[0] == "crash")
    return await CrashLoop.RunAsync(args[1], args[2] == "sqlite" ? null : args[2], Arg(3, 20), Arg(4, 1200), Arg(5, 58090), Arg(6, Environment.TickCount & 0xFFFF));
// soak <kiln.dll> [seconds=600] [max-ops=10000000] [port=58091]
if (args.Length > 0 && args[0] == "soak")
    return await Soak.RunAsync(args[1], Arg(2, 600), Arg(3, 10_000_000), Arg(4, 58091));
// upstream <kiln.dll> [requests=40]: the latency Kiln A adds forwarding to Kiln B (docs/upstream.md#what-is-forwarded)
if (args.Length > 0 && args[0] == "upstream")
    return await UpstreamBench.RunAsync(args[1], Arg(2, 40));
if (args.Length > 0 && args[0] == "scale")
    return await ScaleBench.RunAsync(args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10);

// many <sqlite|postgres-admin> [credentials=10000] [seconds=5] [pairs=3]
if (args.Length > 0 && args[0] == "many")
    return await ManyCredentials.RunAsync(args[1] == "sqlite" ? null : args[1], Arg(2, 10_000), Arg(3, 5), Arg(4, 3));

// startup <kiln.dll> [pairs=5] [port=58092]
if (args.Length > 0 && args[0] == "startup")
    return await StartupBench.RunAsync(args[1], Arg(2, 5), Arg(3, 58092));

// jobs <sqlite|postgres-admin> [images=200] [size=1024] [poll-ms=10] [pairs=3]
if (args.Length > 0 && args[0] == "jobs")
    return await JobsBench.RunAsync(args[1] == "sqlite" ? null : args[1], Arg(2, 200), Arg(3, 1024), Arg(4, 10), Arg(5, 3));

// Identity-service load (issues 2 and 17): [seconds-per-run=5] [pairs=3] [warm-up-seconds=20]
return await IdentityBench.RunAsync(Arg(0, 5), Arg(1, 3), Arg(2, 20));
