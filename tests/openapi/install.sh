#!/usr/bin/env bash
# Installs the npm package the OpenAPI tests use (pinned in package-lock.json:
# @stoplight/prism-cli, a mock server that serves an OpenAPI spec and checks
# the requests it gets against it) into the git-ignored node_modules/ here.
# Idempotent: `npm ci` runs again only when package-lock.json changed since the
# last install. Needs node and npm (prism asks for node 24 but runs on 20);
# the tests fail (they do not skip) when node_modules/ is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
stamp=$here/node_modules/.isobox-openapi-lock
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
  if ! command -v npm >/dev/null; then
    echo "tests/openapi: npm is missing: install node and npm (Debian: apt-get install nodejs npm)" >&2
    exit 1
  fi
  echo "tests/openapi: npm ci in $here" >&2
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --silent --loglevel=error)
  cp "$here/package-lock.json" "$stamp"
fi
