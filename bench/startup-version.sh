#!/usr/bin/env bash
# Start-up (issue 17): `kiln serve` on an existing data dir until /health/live answers, against `kiln --version`
# (process start alone), alternately in one run; medians of the pairs. Exit code 3 when live takes 1.0 s or more.
# Usage: bench/startup-version.sh [pairs=5]     (KILN_BENCH_NO_BUILD=1 when the Release build is there; run it under the
# build lock on a shared machine: flock -o /tmp/kiln-dotnet.lock bench/startup-version.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KILN_BENCH_NO_BUILD:-}" ]; then
  dotnet build -c Release src/Kiln.Cli -v q -clp:ErrorsOnly
  dotnet build -c Release bench/Kiln.Load -v q -clp:ErrorsOnly
fi
KILN=$(pwd)/$(ls src/Kiln.Cli/bin/Release/net10.0/*/kiln.dll | head -1)
LOAD=$(ls bench/Kiln.Load/bin/Release/net10.0/*/Kiln.Load.dll | head -1)
exec dotnet "$LOAD" startup "$KILN" "${1:-5}" "${KILN_BENCH_PORT:-58092}"
