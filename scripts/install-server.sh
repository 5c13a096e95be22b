#!/usr/bin/env bash
# Install the legacy Resonate server v0.7.25 (the one resonate-sdk 0.6.x speaks) into tools/bin.
#
#   scripts/install-server.sh
#
# The one install path for the README, CI and Binder. It tries, in order, and
# says in one line why a step was skipped or failed:
#   1. tools/bin/resonate already there and reporting 0.7.25 -> done
#   2. the upstream source archives in $RESONATE_SERVER_SRC (default:
#      ../shared/vendor/resonate-legacy-server when that folder exists):
#      checksums verified, built with Go (about 2 minutes on 2 cores; cgo)
#   3. go install github.com/resonatehq/resonate@v0.7.25
#   4. the v0.7.25 GitHub release tarball, checksum-verified
# v0.7.25 is the last release `go install` builds (v0.8.x carry replace
# directives; v0.9.x is a different server the 0.6 SDK does not speak).
# No step can hang: network steps have short connect timeouts.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/tools/bin"
VERSION=0.7.25
MODULE=github.com/resonatehq/resonate
RELEASE="https://github.com/resonatehq/resonate-legacy-server/releases/download/v$VERSION/resonate_linux_x86_64.tar.gz"
SRC="${RESONATE_SERVER_SRC:-}"
[ -z "$SRC" ] && [ -d "$ROOT/../shared/vendor/resonate-legacy-server" ] && SRC="$ROOT/../shared/vendor/resonate-legacy-server"
tried=()

say() { echo "install-server: $*" >&2; }

installed() {
  [ -x "$BIN/resonate" ] && "$BIN/resonate" --version 2>/dev/null | grep -q "version $VERSION\$"
}

done_with() {
  say "Resonate server $VERSION installed at $BIN/resonate ($1)"
  exit 0
}

# 1. already there
if installed; then
  echo "Resonate server $VERSION already installed at $BIN/resonate"
  exit 0
fi
tried+=("tools/bin/resonate: $([ -e "$BIN/resonate" ] && echo "present but not $VERSION" || echo absent)")
mkdir -p "$BIN"

# 2. source archives
from_source() {
  [ -n "$SRC" ] || { echo "no source folder (set RESONATE_SERVER_SRC)"; return 1; }
  [ -f "$SRC/SHA256SUMS" ] || { echo "$SRC has no SHA256SUMS"; return 1; }
  command -v go >/dev/null || { echo "Go is not installed"; return 1; }
  command -v "${CC:-gcc}" >/dev/null || { echo "no C compiler for cgo (${CC:-gcc})"; return 1; }
  (cd "$SRC" && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1 || { echo "checksums in $SRC/SHA256SUMS do not match"; return 1; }
  local work; work="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  tar xzf "$SRC/resonate-legacy-server-v$VERSION.tar.gz" -C "$work" &&
    tar xzf "$SRC"/gocoro-*.tar.gz -C "$work" || { echo "could not unpack the archives"; return 1; }
  local gocoro; gocoro="$(cd "$work" && ls -d gocoro-*/ | head -n1)"
  say "building from $SRC (about 2 minutes on 2 cores)..."
  (cd "$work/resonate-legacy-server-$VERSION" &&
    go mod edit -replace "github.com/resonatehq/gocoro=../${gocoro%/}" &&
    GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" -o "$BIN/resonate" .) >"$work/build.log" 2>&1 ||
    { echo "go build failed: $(tail -n 2 "$work/build.log" | tr '\n' ' ')"; return 1; }
}

# 3. go install
from_go_install() {
  command -v go >/dev/null || { echo "Go is not installed"; return 1; }
  local log
  log="$(GOBIN="$BIN" GOFLAGS=-buildvcs=false timeout 600 go install "$MODULE@v$VERSION" 2>&1)" ||
    { echo "$(printf '%s\n' "$log" | tail -n 1)"; return 1; }
}

# 4. release tarball
from_release() {
  command -v curl >/dev/null || { echo "curl is not installed"; return 1; }
  [ "$(uname -sm)" = "Linux x86_64" ] || { echo "no release build for $(uname -sm)"; return 1; }
  local work; work="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  curl -fsSL --connect-timeout 5 --max-time 120 -o "$work/r.tar.gz" "$RELEASE" 2>"$work/err" &&
    curl -fsSL --connect-timeout 5 --max-time 30 -o "$work/r.sha256" "$RELEASE.sha256" 2>>"$work/err" ||
    { echo "download failed: $(tail -n 1 "$work/err")"; return 1; }
  [ "$(awk '{print $1}' "$work/r.sha256")" = "$(sha256sum "$work/r.tar.gz" | awk '{print $1}')" ] ||
    { echo "checksum mismatch"; return 1; }
  tar xzf "$work/r.tar.gz" -C "$work" && install -m 755 "$work/resonate" "$BIN/resonate" ||
    { echo "the tarball has no resonate binary"; return 1; }
}

for step in from_source from_go_install from_release; do
  if why="$($step)" && installed; then
    done_with "$step"
  fi
  [ -z "$why" ] && why="the result does not report version $VERSION"
  say "$step: $why"
  tried+=("$step: $why")
done

say "error: the Resonate server $VERSION could not be installed. Tried:"
for t in "${tried[@]}"; do echo "  - $t" >&2; done
echo "  Lessons 0-3 work without it; lessons 4 and 5 need it. See README, 'Server mode'." >&2
exit 1
