#!/usr/bin/env bash
# Installs the `wasmtime` CLI matching the pinned wasmtime (48.0.8) into
# .cache/wasmtime-cli/bin, once: the end-to-end test serves an `isobox build`
# component with the real `wasmtime serve`. Only the features `serve` needs are
# built (about a third of the default build). Skips when the binary is there
# with the right version.
set -euo pipefail

VERSION=48.0.8
cd "$(dirname "$0")/.."
ROOT="$PWD/.cache/wasmtime-cli"
BIN="$ROOT/bin/wasmtime"

if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "^wasmtime $VERSION "; then
  exit 0
fi

echo "install-wasmtime-cli: building wasmtime-cli $VERSION (serve only) into $ROOT"
start=$(date +%s)
cargo install --locked --quiet --root "$ROOT" wasmtime-cli --version "$VERSION" \
  --no-default-features \
  --features run,serve,cranelift,parallel-compilation,pooling-allocator
echo "install-wasmtime-cli: done in $(( $(date +%s) - start )) s"
"$BIN" --version
