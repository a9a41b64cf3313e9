#!/usr/bin/env bash
# Installs wrk (Debian's package), the HTTP load generator the serve
# benches use, unless it is already on PATH. Idempotent.
set -euo pipefail
command -v wrk >/dev/null 2>&1 && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y -q wrk || { $sudo apt-get update -q && $sudo apt-get install -y -q wrk; }
