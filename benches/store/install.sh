#!/usr/bin/env bash
# Installs the storage bench's source tree (lodash 4.17.21, pinned in
# package-lock.json: about 1,000 files) into the git-ignored node_modules/
# here. Idempotent: `npm ci` runs again only when package-lock.json changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stamp=$here/node_modules/.isobox-store-bench-lock
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
  echo "benches/store: npm ci in $here" >&2
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --silent)
  cp "$here/package-lock.json" "$stamp"
fi
