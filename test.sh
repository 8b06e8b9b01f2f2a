#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one.
#   1. installs what the tests need, skipping what is already there: PostgreSQL, Chromium, Prometheus and python3-requests
#      (Debian), s3rver (npm, tools/s3) and Adobe's Node.js clients (npm, tests/clients);
#   2. starts PostgreSQL and s3rver on loopback with throwaway data, and stops them on exit;
#   3. builds and runs every test project;
#   4. runs it with Kiln logging at Debug into $RUN/logs and scans those logs for client secrets (a leak counts as a failure);
#   5. ends with one line: "N passed, N failed".
# Extra arguments go to `dotnet test` (for example: ./test.sh --filter "FullyQualifiedName~Ims").
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
log() { printf '[test.sh] %s\n' "$*" >&2; }

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
/usr/bin/python3 -c 'import requests' >/dev/null 2>&1 || need_apt+=(python3-requests)  # the proxy-mode and AdobeHosts tests run Debian's Python requests
command -v prometheus >/dev/null 2>&1 || need_apt+=(prometheus)   # the metrics test scrapes Kiln with a real one
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null \
    || { log "apt-get install failed"; exit 1; }
fi
if [ ! -x tools/s3/node_modules/.bin/s3rver ] && [ ! -f tools/s3/node_modules/s3rver/bin/s3rver.js ]; then
  log "installing s3rver (npm ci)"
  (cd tools/s3 && npm ci --silent --no-audit --no-fund >/dev/null) || { log "npm ci failed"; exit 1; }
fi
if [ ! -f tests/clients/node_modules/@adobe/firefly-apis/package.json ]; then
  log "installing Adobe's Node.js clients for the AdobeHosts tests (npm ci in tests/clients)"
  (cd tests/clients && npm ci --silent --no-audit --no-fund >/dev/null) || { log "npm ci in tests/clients failed"; exit 1; }
fi

RUN=$(mktemp -d /tmp/kiln-test-run.XXXXXX)
chmod 755 "$RUN"
PIDS=()
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGPORT=${KILN_TEST_PG_PORT:-55432}
S3PORT=${KILN_TEST_S3_PORT:-54568}
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  if [ -f "$RUN/pg/postmaster.pid" ]; then runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/pg" -m immediate stop >/dev/null 2>&1; fi
  rm -rf "$RUN"
}
trap cleanup EXIT

log "starting PostgreSQL on 127.0.0.1:$PGPORT"
chown postgres: "$RUN" 2>/dev/null || true
if runuser -u postgres -- "$PGBIN/initdb" -D "$RUN/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$RUN/initdb.log" 2>&1 \
  && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$RUN/pg" -l "$RUN/pg.log" -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $RUN -c max_connections=300 -c fsync=off" -w start >/dev/null; then
  export KILN_TEST_POSTGRES="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=postgres"
else
  log "PostgreSQL did not start"; cat "$RUN/initdb.log" "$RUN/pg.log" 2>/dev/null >&2; exit 1
fi

log "starting s3rver on 127.0.0.1:$S3PORT"
mkdir -p "$RUN/s3"
node tools/s3/node_modules/s3rver/bin/s3rver.js -d "$RUN/s3" -a 127.0.0.1 -p "$S3PORT" --silent >"$RUN/s3.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do (echo > /dev/tcp/127.0.0.1/$S3PORT) 2>/dev/null && break; sleep 0.1; done
export KILN_TEST_S3="http://127.0.0.1:$S3PORT"
export KILN_TEST_CHROMIUM=/usr/bin/chromium

log "building"
dotnet build Kiln.slnx -c Release --nologo -v q -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }

RESULTS="$ROOT/TestResults"
rm -rf "$RESULTS"
# The E2E suite's screenshots (every page at 390, 1280 and 1920 px, and each step of the flows) land in
# $RESULTS/screenshots/<provider>/ (tests/Kiln.E2E.Tests/BrowserFixture.cs, Shots); CI keeps TestResults as its artifact.
# The same suite twice: on SQLite + local disk (the embedded default), then on PostgreSQL + S3 (scale-out).
# Every Kiln the tests start (in-process and `kiln serve`) logs at Debug into $RUN/logs (KilnFactory, KilnProcess).
LOGS="$RUN/logs"
log "testing on SQLite"
KILN_TEST_LOG_DIR="$LOGS/sqlite" dotnet test Kiln.slnx -c Release --no-build --nologo -v q --logger "trx" --results-directory "$RESULTS/sqlite" "$@"
rc=$?
log "testing on PostgreSQL + S3"
KILN_TEST_LOG_DIR="$LOGS/postgres" KILN_TEST_PROVIDER=postgres KILN_TEST_STORAGE=s3 dotnet test Kiln.slnx -c Release --no-build --nologo -v q --logger "trx" --results-directory "$RESULTS/postgres" "$@"
rc2=$?
[ $rc -eq 0 ] && rc=$rc2

# Secret scan: no client secret (prefix kiln_s2s_, see SecretHasher) and no client_secret= value in any captured log.
# JSON log lines (kiln serve --log-format json) are also scanned decoded, so an escape cannot hide a secret.
# *.log files are scanned whole. *.stdout.txt (what `kiln serve` prints on purpose) is scanned too, except the one
# banner line that shows the demo secret to whoever started Kiln (Bootstrap.CurlCommands).
python3 - "$LOGS" >"$RUN/leaks.txt" <<'PY'
import sys, glob, re, json
secret = re.compile(r"kiln_s2s_[A-Za-z0-9_-]{20,}")
form = re.compile(r"client_secret=([^&\s\"'<>]+)")
leaks = files = 0
for f in glob.glob(sys.argv[1] + "/**/*", recursive=True):
    if not (f.endswith(".log") or f.endswith(".stdout.txt")): continue
    files += 1
    with open(f, encoding="utf-8", errors="replace") as fh:
        for n, line in enumerate(fh, 1):
            if f.endswith(".stdout.txt") and line.lstrip().startswith("export FIREFLY_SERVICES_CLIENT_SECRET=kiln_s2s_"): continue
            text = line
            if line.lstrip().startswith("{"):
                try: text = line + "\n" + json.dumps(json.loads(line), ensure_ascii=False)
                except ValueError: pass
            hits = secret.findall(text) + [v for v in form.findall(text) if not v.startswith("$")]
            if hits:
                leaks += 1
                if leaks <= 20: print(f"{f}:{n}: secret in log: {line.strip()[:300]}")
print(f"scanned {files} log files, {leaks} lines with secrets")
sys.exit(1 if leaks else 0)
PY
scan=$?
sed 's/^/[test.sh] /' "$RUN/leaks.txt" >&2
[ $scan -ne 0 ] && rc=1

python3 - "$RESULTS" "$scan" <<'PY'
import sys, glob, xml.etree.ElementTree as ET
passed = failed = skipped = 0
if sys.argv[2] != "0": failed += 1  # the secret scan of the debug logs
for f in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    c = ET.parse(f).getroot().find(".//{*}ResultSummary/{*}Counters")
    if c is None: continue
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    skipped += int(c.get("notExecuted", 0))
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
log "screenshots in $RESULTS/screenshots"
exit $rc
