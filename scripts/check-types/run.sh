#!/usr/bin/env bash
# Type-checks what `isobox types` prints with the real TypeScript compiler
# (pinned in package.json), together with code that uses it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
isobox=$(realpath "${1:?usage: run.sh PATH/TO/isobox}")
cd "$here"
if [ ! -x node_modules/.bin/tsc ]; then
  npm ci --silent --no-audit --no-fund
fi
mkdir -p out
"$isobox" types > out/globals.d.ts
node_modules/.bin/tsc -p tsconfig.json
# With capabilities: the built-ins, the example plugin (its WIT only) and an
# MCP server's tools (a hand-written tools/list result).
root=$(cd "$here/../.." && pwd)
"$isobox" types --grant kv --grant todo --grant workspace \
  --plugin "text=$root/target/plugins/wasm32-wasip2/release/isobox_plugin_text.wasm:$root/plugins/text/wit" \
  --mcp-tools "notes=$here/mcp-tools.json" > out/env.d.ts
node_modules/.bin/tsc -p tsconfig.env.json
echo "isobox types: the declarations (globals, and env with kv, todo, workspace, the text plugin and MCP tools) type-check with TypeScript $(node_modules/.bin/tsc --version | cut -d' ' -f2)"
