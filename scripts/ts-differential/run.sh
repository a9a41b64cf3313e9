#!/usr/bin/env bash
# `make ts-differential`: isobox strip against TypeScript's transpileModule on
# the .ts sources of the packages pinned in package.json (see compare.mjs).
# Installs them (npm ci, git-ignored node_modules/ here) when package-lock.json
# changed since the last install, builds isobox if it is missing, then compares.
# Extra arguments go to compare.mjs (--verbose, --only PATH-SUBSTRING).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
isobox=${ISOBOX:-$root/target/release/isobox}

stamp=$here/node_modules/.ts-differential-lock
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
  echo "ts-differential: npm ci in $here" >&2
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund)
  cp "$here/package-lock.json" "$stamp"
fi

if [ ! -x "$isobox" ]; then
  echo "ts-differential: $isobox missing, building it" >&2
  make -C "$root" build
fi

exec node "$here/compare.mjs" --isobox "$isobox" "$@"
