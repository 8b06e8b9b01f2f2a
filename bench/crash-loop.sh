#!/usr/bin/env bash
# Crash loop (issue 7): rounds of kill -9 at random moments under mixed write load (secret adds and deletes, token mints,
# async generate jobs), then checks after each restart: no acknowledged secret lost, no deleted secret back, every
# accepted job terminal, SQLite PRAGMA integrity_check ok. Runs on SQLite, then on a throwaway PostgreSQL on loopback.
# Usage: bench/crash-loop.sh [sqlite|postgres|both=both] [rounds=20] [max-seconds-per-database=1200] [seed]
# Env: KILN_BENCH_PG_PORT (default 58433), KILN_BENCH_PORT (kiln's port, default 58090).
set -euo pipefail
cd "$(dirname "$0")/.."
WHICH=${1:-both}; ROUNDS=${2:-20}; MAXS=${3:-1200}; SEED=${4:-$RANDOM}
PORT=${KILN_BENCH_PORT:-58090}
if [ -z "${KILN_BENCH_NO_BUILD:-}" ]; then  # set it when the Release build is already there
  dotnet build -c Release src/Kiln.Cli -v q -clp:ErrorsOnly
  dotnet build -c Release bench/Kiln.Load -v q -clp:ErrorsOnly
fi
KILN=$(pwd)/$(ls src/Kiln.Cli/bin/Release/net10.0/*/kiln.dll | head -1)
LOAD=$(ls bench/Kiln.Load/bin/Release/net10.0/*/Kiln.Load.dll | head -1)
rc=0
if [ "$WHICH" = sqlite ] || [ "$WHICH" = both ]; then
  dotnet "$LOAD" crash "$KILN" sqlite "$ROUNDS" "$MAXS" "$PORT" "$SEED" || rc=1
fi
if [ "$WHICH" = postgres ] || [ "$WHICH" = both ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }
  PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  PGPORT=${KILN_BENCH_PG_PORT:-58433}
  RUN=$(mktemp -d /tmp/kiln-crash-pg.XXXXXX); chmod 755 "$RUN"; chown postgres: "$RUN"
  trap 'runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/pg" -m immediate stop >/dev/null 2>&1; rm -rf "$RUN"' EXIT
  runuser -u postgres -- "$PGBIN/initdb" -D "$RUN/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # fsync stays on: a kill -9 of Kiln must not lose what PostgreSQL acknowledged.
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/pg" -l "$RUN/pg.log" -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $RUN" -w start >/dev/null
  dotnet "$LOAD" crash "$KILN" "Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=postgres" "$ROUNDS" "$MAXS" "$PORT" "$SEED" || rc=1
fi
exit $rc
