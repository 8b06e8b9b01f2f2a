using BenchmarkDotNet.Running;
using Kiln.Bench;

// `dotnet run -c Release --project bench/Kiln.Bench -- samples DIR` writes sample images instead of benchmarking.
if (args is ["samples", var dir, ..])
{
    await Samples.WriteAsync(dir);
    return;
}
if (args is ["profile", var prompt, ..])
{
    Profile.Run(prompt, args.Length > 2 ? args[2] : null);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(GenerateBenchmarks).Assembly).Run(args);
