#!/usr/bin/env bash
# Identity load benchmark: token throughput vs /health/live and the gate's overhead, over HTTP with wrk.
# Usage: bench/run-load.sh [seconds-per-run=10] [connections=32]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
dotnet run -c Release --project bench/Kiln.Load -- "$@"
