#!/usr/bin/env bash
# Installs what the console tests need: Debian's chromium (when no chromium
# is found) and puppeteer-core, pinned in package-lock.json, into the
# git-ignored node_modules/ here. No install script runs, and puppeteer-core
# downloads no browser. Idempotent: chromium is installed only when missing
# and `npm ci` runs again only when package-lock.json changed since the last
# install. Needs node and npm; the tests fail (they do not skip) when
# chromium or node_modules/ is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

find_chromium() {
  if [ -n "${ISOBOX_CHROMIUM:-}" ] && [ -x "$ISOBOX_CHROMIUM" ]; then
    return 0
  fi
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [ -x /usr/bin/chromium ]
}

if ! find_chromium; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "tests/console: apt-get install chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends chromium >&2; then
      apt-get update >&2
      apt-get install -y --no-install-recommends chromium >&2
    fi
  else
    echo "tests/console: chromium is missing: install it (Debian: apt-get install chromium) or set ISOBOX_CHROMIUM to a chromium binary" >&2
    exit 1
  fi
  if ! find_chromium; then
    echo "tests/console: chromium is still missing after apt-get install chromium" >&2
    exit 1
  fi
fi

stamp=$here/node_modules/.isobox-console-lock
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
  if ! command -v npm >/dev/null; then
    echo "tests/console: npm is missing: install node and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
  echo "tests/console: npm ci in $here" >&2
  (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --silent)
  cp "$here/package-lock.json" "$stamp"
fi
