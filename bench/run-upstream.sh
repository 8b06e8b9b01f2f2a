#!/usr/bin/env bash
# The latency Kiln A adds to a sync 1024x1024 generate forwarded to Kiln B, against B directly, p50/p99, with the
# output copy into A's store reported separately (docs/upstream.md#what-is-forwarded). One run: starts both.
# Usage: bench/run-upstream.sh [requests=40]
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release src/Kiln.Cli bench/Kiln.Load -v q -clp:ErrorsOnly
KILN=$(ls src/Kiln.Cli/bin/Release/net10.0/*/kiln.dll | head -1)
exec dotnet bench/Kiln.Load/bin/Release/net10.0/linux-x64/Kiln.Load.dll upstream "$(pwd)/$KILN" "${1:-40}"
