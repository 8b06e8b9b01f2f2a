#!/usr/bin/env bash
# Image API memory benchmark (issue 3): peak server RSS while serving 32 concurrent 2048x2048 generate
# requests with numVariations 4 (64 requests in all). Target: peak < 1.5 GiB.
#   bench/generate-memory.sh            # REQUESTS=64 CONCURRENCY=32 by default
# Starts a Release `kiln serve` on loopback with a throwaway data dir, samples /proc/<pid>/status, prints the peak.
set -euo pipefail
command -v jq >/dev/null && command -v bc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jq bc >/dev/null; }
cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-64}
CONCURRENCY=${CONCURRENCY:-32}
PORT=${PORT:-5391}
BASE="http://127.0.0.1:$PORT"
DATA=$(mktemp -d /tmp/kiln-bench-mem.XXXXXX)

flock /tmp/kiln-dotnet.lock dotnet build src/Kiln.Cli -c Release 2>&1 | grep -E " error |rror\(s\)" | sort -u || true
DLL=$(ls src/Kiln.Cli/bin/Release/net10.0/*/kiln.dll src/Kiln.Cli/bin/Release/net10.0/kiln.dll 2>/dev/null | head -1 || true)

dotnet "$DLL" serve --urls "$BASE" --data "$DATA" >"$DATA/server.log" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

for _ in $(seq 1 300); do curl -fs "$BASE/health/ready" >/dev/null 2>&1 && break; sleep 0.2; done
CLIENT_ID=$(jq -r .client_id "$DATA/demo-credential.json")
SECRET=$(jq -r .client_secret "$DATA/demo-credential.json")
TOKEN=$(curl -fs "$BASE/ims/token/v3" -d grant_type=client_credentials -d "client_id=$CLIENT_ID" -d "client_secret=$SECRET" | jq -r .access_token)
BASELINE=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)

# Sample VmRSS every 100 ms as well; VmHWM (the kernel's high-water mark) is the figure that counts.
( while kill -0 "$PID" 2>/dev/null; do awk '/VmRSS/ {print $2}' /proc/$PID/status 2>/dev/null; sleep 0.1; done ) >"$DATA/rss.txt" &
SAMPLER=$!

START=$(date +%s.%N)
seq 1 "$REQUESTS" | xargs -P "$CONCURRENCY" -I{} curl -s -o /dev/null -w '%{http_code}\n' "$BASE/v3/images/generate" \
  -H 'Content-Type: application/json' -H 'Accept: application/json' -H "x-api-key: $CLIENT_ID" -H "Authorization: Bearer $TOKEN" \
  --max-time 600 --data '{"prompt":"a realistic illustration of a cat coding","numVariations":4,"size":{"width":2048,"height":2048}}' \
  >"$DATA/codes.txt"
END=$(date +%s.%N)

HWM=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
kill "$SAMPLER" 2>/dev/null || true
SAMPLED=$(sort -n "$DATA/rss.txt" | tail -1)
echo "requests: $REQUESTS (concurrency $CONCURRENCY, numVariations 4, 2048x2048) -> status codes: $(sort "$DATA/codes.txt" | uniq -c | tr -s ' ' | tr '\n' ' ')"
echo "images: $((REQUESTS * 4)) in $(echo "$END - $START" | bc) s; workers: $(nproc) (default)"
echo "RSS idle after start: $((BASELINE / 1024)) MiB; sampled peak VmRSS: $((SAMPLED / 1024)) MiB"
echo "peak RSS (VmHWM): $((HWM / 1024)) MiB  (target < 1536 MiB)"
