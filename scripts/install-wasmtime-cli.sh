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

if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -Eq "^wasmtime ${VERSION//./\\.}( |$)"; then
  exit 0
fi

echo "install-wasmtime-cli: building wasmtime-cli $VERSION (serve only) into $ROOT"
start=$(date +%s)
# The build directory survives an interrupted install, so a retry resumes;
# it is removed once the binary is in place. `serve` needs the
# component-model-async feature in 48.0.8.
cargo install --locked --quiet --root "$ROOT" --target-dir "$ROOT/build" \
  wasmtime-cli --version "$VERSION" --no-default-features \
  --features run,serve,component-model-async,cranelift,parallel-compilation,pooling-allocator
rm -rf "$ROOT/build"
echo "install-wasmtime-cli: done in $(( $(date +%s) - start )) s"
"$BIN" --version
