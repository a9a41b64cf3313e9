#!/usr/bin/env bash
# `make demo`: what isobox does today, on the examples in examples/.
set -uo pipefail
isobox=${1:-target/release/isobox}
cd "$(dirname "$0")/.."

show() {
  printf '\n\033[1m$ %s\033[0m\n' "$*"
  "$@"
  printf '\033[2m(exit code %s)\033[0m\n' "$?"
}

echo "isobox: JavaScript in a fresh WebAssembly sandbox per run."
echo "The first command snapshots and compiles the sandbox (about a second, once);"
echo "later ones load the cached, precompiled snapshot."

show "$isobox" run examples/hello.js --input '{"name":"demo","text":"the cat and the dog and the bird"}'
show "$isobox" run examples/report.mjs --input '{"orders":[{"amount":12.5},{"amount":30},{"amount":7.5}]}'
echo
echo "TypeScript, stripped on the host with every position kept:"
show "$isobox" run examples/typed.ts --input '{"orders":[{"id":"a","amount":5},{"id":"b","amount":9}]}'
show "$isobox" run examples/enum.ts
echo
echo "Ten runs of a script that pollutes globals and built-ins, each in a brand-new sandbox:"
show "$isobox" run examples/fresh.js --repeat 10
echo
echo "Limits are enforced by the host and reported precisely:"
show "$isobox" run examples/spin.js --wall-time-ms 200 --fuel 1000000000000
show "$isobox" run examples/spin.js --fuel 50000000
show "$isobox" run examples/memory.js --memory-mib 16
show "$isobox" run examples/recursion.js
show "$isobox" run examples/broken.js
echo
echo "fetch() leaves only through the host's egress policy (deny by default):"
show "$isobox" run examples/fetch.js
show "$isobox" run examples/fetch.js --policy examples/policy.toml --json
echo
echo "Capabilities, granted per run, called as env.<name>.<method>() and checked against their WIT:"
plugin="text=target/plugins/wasm32-wasip2/release/isobox_plugin_text.wasm:plugins/text/wit"
show "$isobox" run examples/capabilities.js --grant kv --grant todo --plugin "$plugin" \
  --props text='{"tenant":"acme"}' --input '{"text":"the cat sat on the mat with the hat"}'
echo
echo "What an agent is shown: TypeScript generated from the WIT of the grants (excerpt):"
"$isobox" types --grant kv --plugin "$plugin" | sed -n '/declare namespace env/,$p'
echo
echo "Durable state: a workspace (files, grep, edits, JSON, node:fs/promises) and kv with compare-and-swap, in a SQLite file; a second run finds the first's:"
rm -f target/demo-state.db target/demo-state.db-wal target/demo-state.db-shm
show "$isobox" run examples/workspace.js --grant workspace --grant kv --workspace demo --store target/demo-state.db
show "$isobox" run examples/workspace.js --grant workspace --grant kv --workspace demo --store target/demo-state.db
echo
echo "Workers runtime APIs: streams, gzip, WebCrypto, Blob and FormData, MessageChannel (a snippet with a top-level return):"
show "$isobox" run examples/web-runtime.js
echo
echo "Workers-style HTTP handlers (export default { fetch(request, env, ctx) }), a fresh sandbox per request:"
show "$isobox" dispatch examples/worker.js --method POST --path '/greet?name=demo' -H 'accept-language: fr' --body 'a note'
echo
echo "The same module as a standalone wasi:http/proxy component, initialised at build time (wasmtime serve target/worker.wasm):"
show "$isobox" build examples/worker.js -o target/worker.wasm
echo
echo "isobox serve: the same runs over HTTP, per tenant, with keys and ceilings (curl on loopback):"
bash scripts/demo-serve.sh "$isobox"
echo
echo "isobox mcp: code mode for an agent over MCP (stdio JSON-RPC, as a client speaks it): one execute chains the calls:"
printf '\n\033[1m$ %s\033[0m\n' "python3 scripts/demo-mcp.py (isobox mcp --grant kv)"
python3 scripts/demo-mcp.py "$isobox"
printf '\033[2m(exit code %s)\033[0m\n' "$?"
echo
echo "The whole outcome as JSON (value or error, logs, stats):"
show "$isobox" run examples/hello.js --json --input '{"name":"json","text":"a b a"}'
