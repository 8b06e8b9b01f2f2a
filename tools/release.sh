#!/usr/bin/env bash
# Release artifacts (docs/operations.md#release-artifacts):
#   - kiln as a self-contained single file (ReadyToRun) per runtime, in kiln-<version>-<rid>.tar.gz (.zip for Windows);
#   - the kiln .NET tool package (kiln.<version>.nupkg) and the Kiln.Client package (with symbols);
#   - SHA256SUMS over all of them.
# Usage: tools/release.sh [--rids "linux-x64 linux-arm64 osx-arm64 win-x64"] [--out dist] [--no-r2r] [--no-packages]
#                         [--repository-url URL]
# Builds go to <out>/.build (kept apart from the development build, reused by the next run); DOTNET picks the dotnet
# command (default: dotnet).
set -euo pipefail
cd "$(dirname "$0")/.."
RIDS="linux-x64 linux-arm64 osx-arm64 win-x64"
OUT=dist
R2R=true
PACKAGES=true
REPO_URL=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rids) RIDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --no-r2r) R2R=false; shift ;;
    --no-packages) PACKAGES=false; shift ;;
    --repository-url) REPO_URL="$2"; shift 2 ;;
    *) echo "usage: $0 [--rids \"RID ...\"] [--out DIR] [--no-r2r] [--no-packages] [--repository-url URL]" >&2; exit 2 ;;
  esac
done
DOTNET=${DOTNET:-dotnet}
log() { printf '[release] %s\n' "$*" >&2; }

VERSION=$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' Directory.Build.props | head -1)
COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BUILD="$OUT/.build"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
# The commit goes into InformationalVersion (kiln --version). Source Link names the repository from the clone's
# `origin` remote; --repository-url names it when the clone has none, or overrides it for publishing.
COMMON=(-c Release --nologo -v q -clp:ErrorsOnly --artifacts-path "$BUILD" -p:SourceRevisionId="$COMMIT")
[ -n "$REPO_URL" ] && COMMON+=(-p:RepositoryUrl="$REPO_URL")

for rid in $RIDS; do
  name="kiln-$VERSION-$rid"
  log "publishing $name (self-contained single file, ReadyToRun=$R2R)"
  started=$(date +%s)
  "$DOTNET" publish src/Kiln.Cli/Kiln.Cli.csproj "${COMMON[@]}" -p:KilnRid="$rid" \
    -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:EnableCompressionInSingleFile=false \
    -p:PublishReadyToRun="$R2R" -p:PackAsTool=false -p:DebugType=none -p:PlaywrightPlatform=none -o "$STAGE/$name"
  # Beside the binary only what it needs: not the libraries' XML docs, native PDBs (SkiaSharp's on Windows) or the
  # server library's own runtimeconfig.
  rm -f "$STAGE/$name"/*.xml "$STAGE/$name"/*.pdb "$STAGE/$name"/Kiln.Server.runtimeconfig.json
  cp README.md "$STAGE/$name/"
  mkdir -p "$STAGE/$name/deploy" && cp -r deploy/. "$STAGE/$name/deploy/"
  case "$rid" in
    win-*) rm -f "$OUT/$name.zip"; (cd "$STAGE" && python3 -m zipfile -c "$OUT/$name.zip" "$name") ;;
    *) tar -C "$STAGE" -czf "$OUT/$name.tar.gz" "$name" ;;
  esac
  log "$name done in $(( $(date +%s) - started )) s"
done

if $PACKAGES; then
  log "packing the kiln tool and Kiln.Client"
  # The tool is framework-dependent and runtime-neutral (every platform's natives inside), so the RID is cleared.
  "$DOTNET" pack src/Kiln.Cli/Kiln.Cli.csproj "${COMMON[@]}" -p:RuntimeIdentifier= -p:PlaywrightPlatform=none -o "$OUT"
  "$DOTNET" pack src/Kiln.Client/Kiln.Client.csproj "${COMMON[@]}" -o "$OUT"
fi

(cd "$OUT" && rm -f SHA256SUMS && sha256sum $(ls kiln-"$VERSION"-* kiln."$VERSION".nupkg Kiln.Client."$VERSION".*nupkg 2>/dev/null) > SHA256SUMS)
log "artifacts in $OUT:"
sed 's/^/[release]   /' "$OUT/SHA256SUMS" >&2
