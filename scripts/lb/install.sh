#!/usr/bin/env bash
# Installs Debian's HAProxy, the real load balancer the multi-replica tests
# put in front of several `isobox serve` processes (tests/integration/replicas.rs).
# Idempotent: nothing happens when haproxy is already on PATH. The tests fail
# (they do not skip) without it.
set -euo pipefail
if command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "scripts/lb: apt-get install haproxy" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y --no-install-recommends haproxy >&2; then
    apt-get update >&2
    apt-get install -y --no-install-recommends haproxy >&2
  fi
  # The package starts a system service; the tests run their own.
  if command -v systemctl >/dev/null; then systemctl stop haproxy >/dev/null 2>&1 || true; fi
  if [ -x /etc/init.d/haproxy ]; then /etc/init.d/haproxy stop >/dev/null 2>&1 || true; fi
else
  echo "scripts/lb: haproxy is missing: install it (Debian: apt-get install haproxy)" >&2
  exit 1
fi
