#!/usr/bin/env bash
# Identity load benchmark (issues 2 and 17): token throughput vs /health/live and the gate's overhead, over HTTP with
# wrk. Every endpoint is warmed first, then token and health run alternately; the figures are medians of paired ratios,
# at 32 and 256 connections. Exit code 3 when a budget is missed.
# Usage: bench/run-load.sh [seconds-per-run=5] [pairs=3] [warm-up-seconds=20]
# Other modes of the same program: bench/run-load.sh many <sqlite|postgres-admin-connection> [credentials=10000] [seconds=5] [pairs=3]
#                                  bench/run-load.sh jobs <sqlite|postgres-admin-connection> [images=200] [size=1024] [poll-ms=10] [pairs=3]
# Set KILN_BENCH_NO_BUILD=1 when the Release build is already there; on a shared machine run it under the build lock
# (flock -o /tmp/kiln-dotnet.lock bench/run-load.sh) so no build competes for the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
[ -n "${KILN_BENCH_NO_BUILD:-}" ] || dotnet build -c Release bench/Kiln.Load -v q -clp:ErrorsOnly
LOAD=$(ls bench/Kiln.Load/bin/Release/net10.0/*/Kiln.Load.dll | head -1)
exec dotnet "$LOAD" "$@"
