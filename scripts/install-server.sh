#!/usr/bin/env bash
# Install the legacy Resonate server (the one resonate-sdk 0.6.x speaks) into tools/bin.
#
#   scripts/install-server.sh        # idempotent: does nothing when tools/bin/resonate is a 0.7.x build
#
# v0.7.25 is the last release that `go install` builds (v0.8.x carry replace
# directives; v0.9.x is a different server the 0.6 SDK does not speak). If it
# cannot be fetched, the neighbouring 0.7.x releases are tried, newest first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/tools/bin"
MODULE=github.com/resonatehq/resonate
VERSIONS=(v0.7.25 v0.7.24 v0.7.23 v0.7.22 v0.7.21 v0.7.20)

installed_version() {
  [ -x "$BIN/resonate" ] || return 1
  go version -m "$BIN/resonate" 2>/dev/null | awk -v m="$MODULE" '$1 == "mod" && $2 == m { print $3 }'
}

if ! command -v go >/dev/null 2>&1; then
  echo "error: Go is needed to install the Resonate server (go install $MODULE@${VERSIONS[0]})." >&2
  echo "  Install Go 1.22 or newer (Debian: apt-get install golang; conda: conda install -c conda-forge go), then run this again." >&2
  exit 1
fi

if v="$(installed_version)" && [[ "$v" == v0.7.* ]]; then
  echo "Resonate server $v already installed at $BIN/resonate"
  exit 0
fi

mkdir -p "$BIN"
for v in "${VERSIONS[@]}"; do
  echo "Installing $MODULE@$v into $BIN ..." >&2
  if log="$(GOBIN="$BIN" GOFLAGS=-buildvcs=false go install "$MODULE@$v" 2>&1)"; then
    echo "Resonate server $(installed_version) installed at $BIN/resonate"
    exit 0
  fi
  echo "  failed: $(printf '%s\n' "$log" | tail -n 2 | tr '\n' ' ')" >&2
done
echo "error: no 0.7.x release of $MODULE could be installed (tried ${VERSIONS[*]})." >&2
echo "  The Go module proxy must serve $MODULE; check GOPROXY ($(go env GOPROXY)) and your network." >&2
exit 1
