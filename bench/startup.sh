#!/usr/bin/env bash
# Start-up to /health/live answering 200 (docs/benchmarks.md#start-up), in one run, on a warm disk and a data directory
# that has already been initialised (the start every restart after the first pays):
#   - the release binary: self-contained single file with ReadyToRun (tools/release.sh, linux-x64);
#   - the framework-dependent build (src/Kiln.Cli/bin/Release/.../kiln);
#   - `dotnet run --project src/Kiln.Cli -c Release` (what the README's quick start does; it checks the build first).
# Usage: bench/startup.sh [runs=5]. Builds what is missing first. On a shared machine, run it under the build lock
# (flock /tmp/kiln-dotnet.lock bench/startup.sh) so no build competes with the measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
DOTNET=${DOTNET:-dotnet}
DIST=${KILN_BENCH_DIST:-/tmp/kiln-bench-dist}
FD=src/Kiln.Cli/bin/Release/net10.0/linux-x64/kiln
[ -x "$FD" ] || "$DOTNET" build src/Kiln.Cli -c Release --nologo -v q -clp:ErrorsOnly
[ -f "$DIST/SHA256SUMS" ] || DOTNET="$DOTNET" tools/release.sh --rids linux-x64 --no-packages --out "$DIST"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
tar -xzf "$DIST"/kiln-*-linux-x64.tar.gz -C "$WORK"
SINGLE=$(ls -d "$WORK"/kiln-*-linux-x64)/kiln
export DOTNET_BUNDLE_EXTRACT_BASE_DIR="$WORK/extract" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
python3 - "$RUNS" "$WORK" "$SINGLE" "$FD" "$DOTNET" <<'PY'
import os, statistics, subprocess, sys, time, urllib.request, socket
runs, work, single, fd, dotnet = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
variants = {
    "single-file R2R": lambda a: [single] + a,
    "framework-dependent": lambda a: [fd] + a,
    "dotnet run": lambda a: [dotnet, "run", "--project", "src/Kiln.Cli", "-c", "Release", "--"] + a,
}
def start(cmd_of, data):
    p = port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd_of(["serve", "--urls", f"http://127.0.0.1:{p}", "--data", data]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None: raise SystemExit(f"exited {proc.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{p}/health/live", timeout=1) as r:
                    if r.status == 200: return time.perf_counter() - t0
            except OSError: pass
            time.sleep(0.005)
    finally:
        proc.terminate(); proc.wait(30)
results = {}
for name, cmd in variants.items():
    data = os.path.join(work, "data-" + name.split()[0])
    start(cmd, data)                      # first start: database, keys, demo org (not measured)
    results[name] = [start(cmd, data) for _ in range(runs)]
base = statistics.median(results["single-file R2R"])
print(f"{'variant':22} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'vs single file':>15}")
for name, xs in results.items():
    m = statistics.median(xs)
    print(f"{name:22} {m*1000:10.0f} {min(xs)*1000:8.0f} {max(xs)*1000:8.0f} {m/base:14.2f}x")
PY
