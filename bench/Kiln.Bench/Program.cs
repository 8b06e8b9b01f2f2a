using BenchmarkDotNet.Running;
using Kiln.Bench;

// `dotnet run -c Release --project bench/Kiln.Bench -- samples DIR` writes sample images instead of benchmarking.
if (args is ["samples", var dir, ..])
{
    await Samples.WriteAsync(dir);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(GenerateBenchmarks).Assembly).Run(args);
