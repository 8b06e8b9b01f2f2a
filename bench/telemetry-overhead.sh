#!/usr/bin/env bash
# Overhead of tracing and metrics on the token endpoint (docs/benchmarks.md#telemetry-overhead), off and on in one run:
# two kiln serve processes of the same build on one data directory each; "on" records every span (Kiln's, ASP.NET
# Core's, EF Core's) through the OpenTelemetry SDK (Kiln:Telemetry:Tracing, no exporter, so only Kiln's cost is
# measured) and serves /metrics to a scrape every second. wrk posts the seed's token request; the rounds alternate
# off/on so drift on a shared machine hits both. Budget: at most 5 % fewer tokens per second.
# Usage: bench/telemetry-overhead.sh [seconds-per-round=10] [rounds=3] [connections=16]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}; ROUNDS=${2:-3}; CONNS=${3:-16}
DOTNET=${DOTNET:-dotnet}
FD=src/Kiln.Cli/bin/Release/net10.0/linux-x64/kiln
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
[ -x "$FD" ] || "$DOTNET" build src/Kiln.Cli -c Release --nologo -v q -clp:ErrorsOnly
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_live() { for _ in $(seq 1 600); do curl -fs "$1/health/ready" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

OFF_PORT=$(free_port); ON_PORT=$(free_port); METRICS_PORT=$(free_port)
Logging__LogLevel__Default=Warning "$FD" serve --urls "http://127.0.0.1:$OFF_PORT" --data "$WORK/off" >/dev/null 2>&1 & PIDS+=($!)
Logging__LogLevel__Default=Warning Kiln__Telemetry__Tracing=true "$FD" serve --urls "http://127.0.0.1:$ON_PORT" --data "$WORK/on" \
  --metrics-urls "http://127.0.0.1:$METRICS_PORT" >/dev/null 2>&1 & PIDS+=($!)
wait_live "http://127.0.0.1:$OFF_PORT"; wait_live "http://127.0.0.1:$ON_PORT"
( while sleep 1; do curl -fs "http://127.0.0.1:$METRICS_PORT/metrics" >/dev/null || true; done ) & PIDS+=($!)

body() { python3 -c 'import json,sys,urllib.parse; d=json.load(open(sys.argv[1])); print(urllib.parse.urlencode({"grant_type":"client_credentials","client_id":d["client_id"],"client_secret":d["client_secret"],"scope":"openid,AdobeID,firefly_api"}))' "$1/demo-credential.json"; }
lua() { printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\nwrk.body = "%s"\n' "$(body "$1")" > "$2"; }
lua "$WORK/off" "$WORK/off.lua"; lua "$WORK/on" "$WORK/on.lua"
rps() {
  local out; out=$(wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$2" "$1/ims/token/v3")
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx answers from $1:" >&2; echo "$out" >&2; exit 1; fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}
# Warm both (JIT, caches), then alternate.
rps "http://127.0.0.1:$OFF_PORT" "$WORK/off.lua" >/dev/null; rps "http://127.0.0.1:$ON_PORT" "$WORK/on.lua" >/dev/null
OFF=(); ON=()
for r in $(seq 1 "$ROUNDS"); do
  OFF+=("$(rps "http://127.0.0.1:$OFF_PORT" "$WORK/off.lua")")
  ON+=("$(rps "http://127.0.0.1:$ON_PORT" "$WORK/on.lua")")
  echo "round $r: off ${OFF[-1]} req/s, on ${ON[-1]} req/s"
done
python3 - "${OFF[*]}" "${ON[*]}" <<'PY'
import statistics, sys
off = [float(x) for x in sys.argv[1].split()]; on = [float(x) for x in sys.argv[2].split()]
mo, mn = statistics.median(off), statistics.median(on)
print(f"token endpoint, median of {len(off)} rounds: off {mo:.0f} req/s, on {mn:.0f} req/s, overhead {(1 - mn / mo) * 100:.1f} % (budget 5 %)")
PY
