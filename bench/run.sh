#!/usr/bin/env bash
# Runs the benchmarks with BenchmarkDotNet's short job. No arguments: all of them (--filter '*').
# Arguments replace the filter and go to BenchmarkDotNet, e.g. bench/run.sh --filter '*Generate*'.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then set -- --filter '*'; fi
exec dotnet run -c Release --project bench/Kiln.Bench -- --job short "$@"
