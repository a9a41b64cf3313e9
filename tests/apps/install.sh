#!/usr/bin/env bash
# Installs the npm packages the Workers-app tests use (pinned in
# package-lock.json: hono, itty-router and esbuild, which bundles the two
# apps) into the git-ignored node_modules/ here. No install script runs.
# Idempotent: `npm ci` runs again only when package-lock.json changed since
# the last install. Needs node and npm; the tests fail (they do not skip)
# when node_modules/ is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stamp=$here/node_modules/.isobox-apps-lock
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
  if ! command -v npm >/dev/null; then
    echo "tests/apps: npm is missing: install node and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
  echo "tests/apps: npm ci in $here" >&2
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --silent)
  cp "$here/package-lock.json" "$stamp"
fi
