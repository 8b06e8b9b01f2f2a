#!/usr/bin/env bash
# Soak (issue 7): mixed load on one `kiln serve` (SQLite, loopback) for SOAK_SECONDS (default 600): token mints, sync and
# async generates (1024x1024, one image), status polls, secret rotations every 5 s. Prints throughput, p50/p99 per
# operation, errors by status and RSS over time; exits non-zero on any error other than 429 or RSS growth >= 10%.
# Usage: SOAK_SECONDS=60 bench/soak.sh      Env: SOAK_MAX_OPS (default 10000000), KILN_BENCH_PORT (default 58091).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${KILN_BENCH_NO_BUILD:-}" ]; then  # set it when the Release build is already there
  dotnet build -c Release src/Kiln.Cli -v q -clp:ErrorsOnly
  dotnet build -c Release bench/Kiln.Load -v q -clp:ErrorsOnly
fi
KILN=$(pwd)/$(ls src/Kiln.Cli/bin/Release/net10.0/*/kiln.dll | head -1)
LOAD=$(ls bench/Kiln.Load/bin/Release/net10.0/*/Kiln.Load.dll | head -1)
exec dotnet "$LOAD" soak "$KILN" "${SOAK_SECONDS:-600}" "${SOAK_MAX_OPS:-10000000}" "${KILN_BENCH_PORT:-58091}"
