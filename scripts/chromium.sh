# Sourced by scripts/test: make sure Debian's chromium is there for the browser tests.
# (Playwright's own browser download is not used: it cannot be fetched here.)
set -euo pipefail
if [ -z "${CHROMIUM:-}" ]; then
  for c in /usr/bin/chromium /usr/bin/chromium-browser; do
    [ -x "$c" ] && CHROMIUM="$c" && break
  done
fi
if [ -z "${CHROMIUM:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests..." >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
    CHROMIUM=/usr/bin/chromium
  else
    echo "error: the browser tests need chromium: install it (Debian: 'sudo apt-get install chromium')" >&2
    echo "  or set CHROMIUM=/path/to/chromium." >&2
    exit 1
  fi
fi
export CHROMIUM
