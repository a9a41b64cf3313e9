#!/usr/bin/env bash
# Runs a command (`cargo clippy ... -p isobox-guest --target wasm32-wasip2`)
# with the settings the guest is built with, as host/isobox/build.rs wrote
# them (guest-build.env in the guest's target directory), and in that target
# directory, so QuickJS's C is not rebuilt. Any build of the isobox crate
# (a `cargo clippy` of it included) writes the file first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
guest_target="${CARGO_TARGET_DIR:-$root/target}/guest"
settings="$guest_target/guest-build.env"
if [ ! -f "$settings" ]; then
  echo "guest-env: $settings is missing: build or lint the isobox crate first (make lint does)" >&2
  exit 2
fi
# shellcheck source=/dev/null
. "$settings"
export CARGO_TARGET_DIR="$guest_target"
exec "$@"
