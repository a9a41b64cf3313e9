#!/usr/bin/env bash
# Installs the npm bench's anchor, esbuild (pinned in
# package-lock.json), into the git-ignored node_modules/
# here. Idempotent: `npm ci` runs again only when package-lock.json changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stamp=$here/node_modules/.isobox-npm-bench-lock
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
  echo "benches/npm: npm ci in $here" >&2
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --silent)
  cp "$here/package-lock.json" "$stamp"
fi
