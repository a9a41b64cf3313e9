#!/usr/bin/env bash
# Installs what building the sandbox guest needs, and nothing twice:
#   clang-19 and llvm-ar-19 (QuickJS's C for wasm32), Debian's wasi-libc
#   headers, the wasm32-wasip2 Rust target, and node/npm (the tests check
#   the TypeScript declarations with the real compiler).
set -euo pipefail

packages=()
command -v clang-19 >/dev/null 2>&1 || packages+=(clang-19)
command -v llvm-ar-19 >/dev/null 2>&1 || packages+=(llvm-19)
[ -f /usr/include/wasm32-wasi/stdlib.h ] || packages+=(wasi-libc)
# node and npm: the TypeScript compiler checks what `isobox types` prints.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q "${packages[@]}"; then
    $sudo apt-get update -q
    $sudo apt-get install -y -q "${packages[@]}"
  fi
fi

cd "$(dirname "$0")/.."
# rust-toolchain.toml names the toolchain and the target; rustup installs
# either if it is missing. Ask explicitly in case rustup predates that.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  rustup target add wasm32-wasip2
fi
