#!/usr/bin/env bash
# Install a Resonate server into tools/bin.
#
#   scripts/install-server.sh        # the legacy server v0.7.25: lessons 4-7 (resonate-sdk 0.6)
#   scripts/install-server.sh v0.9   # today's server v0.9.8: lesson 8's worker kill (resonate-sdk 0.8)
#
# The one install path for the README, CI and Binder. Each step says in one line why it
# was skipped or failed, and no step can hang: network steps have time limits.
#
# The legacy server v0.7.25 (the default) -- it tries, in order:
#   1. tools/bin/resonate already there, reporting 0.7.25 and built with
#      this project's patches (tools/bin/resonate.patches) -> done
#   1b. the binary this machine built last for another clone (same source, same patches),
#      kept in ${XDG_CACHE_HOME:-~/.cache}/resonate-lessons -> copied, in a second
#   2. the upstream source archives in $RESONATE_SERVER_SRC (default:
#      ../shared/vendor/resonate-legacy-server when that folder exists):
#      checksums verified, patched, built with Go (about 2 minutes on 2 cores; cgo)
#   3. the module from the Go module proxy (`go mod download`, checksummed by
#      go.sum's database), patched, built the same way (Binder's path)
# Every build gets scripts/patches/*.patch: today one, the fix for the
# create-callback race that loses about 1 order in 135 under load (docs/architecture.md,
# "Server mode"). Upstream's release tarball is not used: it cannot be patched.
# v0.7.25 is the last legacy release (v0.8.x carry replace directives; v0.9.x is
# a different server the 0.6 SDK does not speak).
#
# The server v0.9.8 (v0.9):
#   1. tools/bin/resonate-0.9.8 already there, reporting 0.9.8 -> done
#   2. its source: the archive in $RESONATE_SERVER09_SRC (default ../shared/vendor/resonate-server)
#      with its SHA256SUMS, else upstream's source archive of the tag, downloaded from
#      $RESONATE_SERVER09_URL (default GitHub's archive of tag v0.9.8) and accepted only if its
#      files hash to CONTENT09 -- a hash of every file's path and sha256, so it pins the tag's
#      source whatever the archive's folder name or compression; then built with cargo
#      (--locked: upstream's Cargo.lock; the crates from the crates registry). An unoptimised
#      build without debug info: about 4 minutes on 2 cores, against 13 for --release, and
#      quick enough for a lesson's orders. Its build folder is kept in
#      ${XDG_CACHE_HOME:-~/.cache}/resonate-lessons, so another clone on the same machine
#      builds again in seconds (as Go's build cache does for 0.7.25).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${RESONATE_TOOLS_BIN:-$ROOT/tools/bin}"
VERSION=0.7.25
MODULE=github.com/resonatehq/resonate
PATCHES=("$ROOT"/scripts/patches/*.patch)
PATCH_SUM="$(cat "${PATCHES[@]}" | sha256sum | cut -c1-16)"
SRC="${RESONATE_SERVER_SRC:-}"
[ -z "$SRC" ] && [ -d "$ROOT/../shared/vendor/resonate-legacy-server" ] && SRC="$ROOT/../shared/vendor/resonate-legacy-server"
tried=()

say() { echo "install-server: $*" >&2; }

# One build of each server at a time: scripts/lessons starts both in the background
# (lab/servers/builds.py), and a second run waits for the first, then finds it installed.
mkdir -p "$BIN" && exec 9>"$BIN/.install-${1:-legacy}.lock" && flock 9 ||
  { say "error: cannot write $BIN"; exit 1; }

if [ "${1:-}" = "v0.9" ]; then
  V09=0.9.8
  SRC09="${RESONATE_SERVER09_SRC:-$ROOT/../shared/vendor/resonate-server}"
  CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/resonate-lessons"
  installed09() { [ -x "$BIN/resonate-$V09" ] && "$BIN/resonate-$V09" --version 2>/dev/null | grep -q "^resonate $V09\$"; }
  if installed09; then
    echo "Resonate server $V09 already installed at $BIN/resonate-$V09"
    exit 0
  fi
  URL09="${RESONATE_SERVER09_URL:-https://github.com/resonatehq/resonate/archive/refs/tags/v$V09.tar.gz}"
  CONTENT09=cde3cb8fe614e20ef6d0db252ee8cdcff23dc9dbcbe76c9a5d6ce103f9a042e6  # tag v0.9.8's 51 files
  fail() { say "error: the Resonate server $V09 could not be installed: $*. Lesson 8 runs without it, all but its worker kill."; exit 1; }
  command -v cargo >/dev/null || fail "cargo is not installed (https://rustup.rs)"
  # One folder per pinned source (the vendored archive's first 16 hex digits, kept so an
  # existing build stays warm): cargo's fingerprints match the next time.
  src="$CACHE/resonate-server-$V09-8baf462fdecc7d46"
  mkdir -p "$CACHE" "$BIN" || fail "cannot write $CACHE"
  tmp="$(mktemp -d "$CACHE/unpack.XXXXXX")" || fail "cannot write $CACHE"
  trap 'rm -rf "$tmp"' EXIT
  if [ -f "$SRC09/SHA256SUMS" ]; then
    (cd "$SRC09" && sha256sum --quiet -c SHA256SUMS) >/dev/null 2>&1 || fail "checksums in $SRC09/SHA256SUMS do not match"
    archive="$SRC09/resonate-server-v$V09.tar.gz" from="$SRC09"
  else
    command -v curl >/dev/null || fail "no source archive in $SRC09 and no curl to download $URL09"
    say "downloading the source of v$V09 from $URL09..."
    archive="$tmp/source.tar.gz" from="$URL09"
    curl -fsSL --connect-timeout 20 --max-time 600 --retry 2 -o "$archive" "$URL09" 2>"$tmp/curl.log" ||
      fail "could not download $URL09: $(tail -n 1 "$tmp/curl.log")"
  fi
  mkdir -p "$tmp/src" && tar xzf "$archive" -C "$tmp/src" --strip-components=1 ||
    fail "could not unpack the archive from $from"
  content="$( (cd "$tmp/src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1)"
  [ "$content" = "$CONTENT09" ] ||
    fail "the archive from $from is not tag v$V09's source (its files hash to $content, not $CONTENT09)"
  say "the source from $from is tag v$V09's (its files hash to the pinned ${CONTENT09:0:16}…)"
  if [ ! -f "$src/Cargo.lock" ]; then
    rm -rf "$src" && mv "$tmp/src" "$src" || fail "could not move the source into $CACHE"
  fi
  log="$CACHE/build-$V09.log"
  say "building the Resonate server $V09 with cargo (about 4 minutes on 2 cores the first time; log: $log)..."
  began=$SECONDS
  (cd "$src" && CARGO_TARGET_DIR="$CACHE/target-$V09" CARGO_PROFILE_DEV_DEBUG=0 \
    timeout 3600 cargo build --locked --bin resonate) >"$log" 2>&1 ||
    fail "cargo build failed: $(grep -m1 -E '^error' "$log" || tail -n 1 "$log")"
  cp "$CACHE/target-$V09/debug/resonate" "$BIN/resonate-$V09.tmp" && mv "$BIN/resonate-$V09.tmp" "$BIN/resonate-$V09" ||
    fail "could not copy the binary into $BIN"
  installed09 || fail "the binary does not report $V09"
  say "Resonate server $V09 installed at $BIN/resonate-$V09 ($((SECONDS - began)) s)"
  exit 0
fi

installed() {
  [ -x "$BIN/resonate" ] && "$BIN/resonate" --version 2>/dev/null | grep -q "version $VERSION\$" &&
    [ "$(cat "$BIN/resonate.patches" 2>/dev/null)" = "$PATCH_SUM" ]
}

# Apply the project's patches to an unpacked server source tree, then build it into tools/bin.
patch_and_build() {
  local src="$1" log="$2" p
  for p in "${PATCHES[@]}"; do
    (cd "$src" && patch -p1 --forward --quiet <"$p") >>"$log" 2>&1 ||
      { echo "patch $(basename "$p") does not apply: $(tail -n 1 "$log")"; return 1; }
  done
  (cd "$src" && GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" -o "$BIN/resonate" .) >>"$log" 2>&1 ||
    { echo "go build failed: $(tail -n 2 "$log" | tr '\n' ' ')"; return 1; }
  echo "$PATCH_SUM" >"$BIN/resonate.patches"
}

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/resonate-lessons"
CACHED="$CACHE/resonate-$VERSION-$PATCH_SUM"  # this machine's last build of the same source

done_with() {
  mkdir -p "$CACHE" && cp "$BIN/resonate" "$CACHED.tmp" && mv "$CACHED.tmp" "$CACHED" || true
  say "Resonate server $VERSION installed at $BIN/resonate ($1)"
  exit 0
}

# 1b. built on this machine before, for another clone: the same source and patches
from_cache() {
  [ -x "$CACHED" ] || { echo "not built on this machine before"; return 1; }
  cp "$CACHED" "$BIN/resonate.tmp" && mv "$BIN/resonate.tmp" "$BIN/resonate" &&
    echo "$PATCH_SUM" >"$BIN/resonate.patches" || { echo "could not copy $CACHED"; return 1; }
}

# 1. already there
if installed; then
  echo "Resonate server $VERSION already installed at $BIN/resonate"
  exit 0
fi
tried+=("tools/bin/resonate: $([ -e "$BIN/resonate" ] && echo "present but not $VERSION with this project's patches" || echo absent)")
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
  say "building from $SRC, patched (about 2 minutes on 2 cores)..."
  (cd "$work/resonate-legacy-server-$VERSION" &&
    go mod edit -replace "github.com/resonatehq/gocoro=../${gocoro%/}") >"$work/build.log" 2>&1 ||
    { echo "go mod edit failed"; return 1; }
  patch_and_build "$work/resonate-legacy-server-$VERSION" "$work/build.log"
}

# 3. the module from the Go module proxy
from_module() {
  command -v go >/dev/null || { echo "Go is not installed"; return 1; }
  command -v "${CC:-gcc}" >/dev/null || { echo "no C compiler for cgo (${CC:-gcc})"; return 1; }
  local work dir; work="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "chmod -R u+w '$work' 2>/dev/null; rm -rf '$work'" RETURN
  (cd "$work" && GOFLAGS=-mod=mod timeout 300 go mod download -json "$MODULE@v$VERSION") >"$work/mod.json" 2>&1
  dir="$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p' "$work/mod.json")"
  [ -n "$dir" ] && [ -d "$dir" ] ||
    { echo "go mod download failed: $(sed -n 's/^[[:space:]]*"Error": "\([^\\]*\).*/\1/p' "$work/mod.json" | head -n 1)"; return 1; }
  cp -r "$dir" "$work/src" && chmod -R u+w "$work/src" || { echo "could not copy $dir"; return 1; }
  say "building $MODULE@v$VERSION from the module proxy, patched (about 2 minutes)..."
  patch_and_build "$work/src" "$work/build.log"
}

for step in from_cache from_source from_module; do
  if why="$($step)" && installed; then
    done_with "$step"
  fi
  [ -z "$why" ] && why="the result does not report version $VERSION"
  say "$step: $why"
  tried+=("$step: $why")
done

say "error: the Resonate server $VERSION could not be installed. Tried:"
for t in "${tried[@]}"; do echo "  - $t" >&2; done
echo "  Lessons 0-3 work without it; lessons 4 and 5 need it. See docs/architecture.md, 'Server mode'." >&2
exit 1
