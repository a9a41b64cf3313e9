#!/usr/bin/env bash
# `make token-report`: tokens of isobox's TypeScript declarations against the
# JSON tool definitions of real MCP servers and of the built-in capabilities
# (see report.mjs). Installs the pinned packages (npm ci, git-ignored
# node_modules/ here) when package-lock.json changed since the last install,
# builds isobox if it is missing, then reports. Extra arguments go to
# report.mjs (--json FILE). Then openapi.mjs: GitHub's REST API spec through
# `isobox mcp --openapi` against a one-tool-per-operation listing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
isobox=${ISOBOX:-$root/target/release/isobox}

stamp=$here/node_modules/.token-report-lock
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null; then
  echo "token-report: npm ci in $here" >&2
  (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund)
  cp "$here/package-lock.json" "$stamp"
fi

if [ ! -x "$isobox" ]; then
  echo "token-report: $isobox missing, building it" >&2
  make -C "$root" build
fi

node "$here/report.mjs" --isobox "$isobox" "$@"
# GitHub's REST API through `isobox mcp --openapi` against one tool per operation.
bash "$root/scripts/openapi/fixtures.sh"
node "$here/openapi.mjs" --isobox "$isobox"
