#!/usr/bin/env bash
# Scale-out benchmark (issue 6): token throughput of two PostgreSQL nodes against one SQLite node, revocation
# propagation p50/p99 between nodes, and job pick-up latency. Starts a throwaway PostgreSQL on loopback.
# Usage: bench/run-scale.sh [seconds-per-wrk-run=10]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGPORT=${KILN_BENCH_PG_PORT:-55442}
RUN=$(mktemp -d /tmp/kiln-scale-bench.XXXXXX); chmod 755 "$RUN"; chown postgres: "$RUN"
trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/pg" -m immediate stop >/dev/null 2>&1; rm -rf "$RUN"' EXIT
runuser -u postgres -- "$PGBIN/initdb" -D "$RUN/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/pg" -l "$RUN/pg.log" -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $RUN" -w start >/dev/null
dotnet build -c Release src/Kiln.Cli bench/Kiln.Load -v q -clp:ErrorsOnly >/dev/null 2>&1 || dotnet build -c Release bench/Kiln.Load -v q -clp:ErrorsOnly
dotnet build -c Release src/Kiln.Cli -v q -clp:ErrorsOnly
KILN=$(ls src/Kiln.Cli/bin/Release/net10.0/*/kiln.dll | head -1)
dotnet bench/Kiln.Load/bin/Release/net10.0/linux-x64/Kiln.Load.dll scale "$(pwd)/$KILN" "Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=postgres" "${1:-10}"
