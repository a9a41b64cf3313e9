#!/usr/bin/env bash
# Checks the TypeScript the capability bridge generates with the real
# TypeScript compiler (pinned in scripts/ts-differential/package.json):
# `tsc --noEmit --strict` over the generated declarations of the test WIT
# (host/isobox/src/capability/types/testdata/{env,values}.d.ts; the unit tests in
# host/isobox/src/capability/types/tests/typescript_tests.rs keep them equal to what the
# generator writes) and a usage file whose @ts-expect-error lines must fail.
# Installs TypeScript (npm ci, git-ignored node_modules/) when needed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
npm_dir=$here/ts-differential
data=$here/../host/isobox/src/capability/types/testdata

stamp=$npm_dir/node_modules/.ts-differential-lock
if ! cmp -s "$npm_dir/package-lock.json" "$stamp" 2>/dev/null; then
  echo "check-capability-types: npm ci in $npm_dir" >&2
  (cd "$npm_dir" && npm ci --ignore-scripts --no-audit --no-fund)
  cp "$npm_dir/package-lock.json" "$stamp"
fi

node "$npm_dir/node_modules/typescript/bin/tsc" --noEmit --strict \
  --target es2022 --lib es2022 \
  "$data/env.d.ts" "$data/values.d.ts" "$data/usage.ts"
echo "check-capability-types: tsc --strict accepts the generated declarations"
