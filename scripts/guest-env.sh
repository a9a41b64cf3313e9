#!/usr/bin/env bash
# Runs a command (`cargo clippy ... -p isobox-guest --target wasm32-wasip2`)
# with the settings host/isobox/build.rs gives the guest build: Debian's
# clang-19 and wasi-libc for QuickJS's C, the guest's stack header, its link
# arguments, and the guest's own target directory, so the C is not rebuilt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
stack_bytes=$((1024 * 1024))
export RQUICKJS_SYS_NO_WASI_SDK=1
export CC_wasm32_wasip2=${ISOBOX_GUEST_CC:-clang-19}
export AR_wasm32_wasip2=${ISOBOX_GUEST_AR:-llvm-ar-19}
export CFLAGS_wasm32_wasip2="-isystem /usr/include/wasm32-wasi -include $root/guest/c/quickjs-wasi-stack.h"
export CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS="-C link-arg=--stack-first -C link-arg=-zstack-size=$stack_bytes"
export CARGO_TARGET_DIR="$root/target/guest"
exec "$@"
