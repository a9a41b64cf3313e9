#!/usr/bin/env bash
# `make soak`: a million mixed runs through a real `isobox serve` on
# 127.0.0.1, to show that nothing builds up. The server (the release build)
# gets a config made here: 16 runs in flight, 16 queued, one tenant with kv,
# todo and an egress policy that lets nothing it is asked for out. The
# driver, host/cli/examples/soak.rs, first fills every run slot with
# memory-hungry runs (a warm-up), then sends the mix (results, thrown errors,
# syntax errors, timeouts, memory limits, blocked fetches, capabilities
# called wrongly, console output past its caps, event streams, 400/401/403
# refusals, and bursts that overfill the server on purpose for some 503s)
# 12 requests at a time on keep-alive connections, prints the server's
# resident memory, open descriptors and threads with the answers counted by
# class every 100,000 runs, and checks the criteria. This script then checks
# that the server is still alive, answers /healthz, never printed
# "panicked", and stops cleanly on SIGTERM.
#
#   bash scripts/soak.sh [path/to/isobox]
#
# SOAK_RUNS (default 1000000) is the number of runs; SOAK_CONCURRENCY
# (default 12) how many are in flight. With fewer than a million runs, a
# row is printed every tenth of them. Exits non-zero when a criterion fails.
set -euo pipefail
cd "$(dirname "$0")/.."

isobox=${1:-target/release/isobox}
driver=target/release/examples/soak
export SOAK_RUNS=${SOAK_RUNS:-1000000}
export SOAK_CONCURRENCY=${SOAK_CONCURRENCY:-12}

if [ ! -x "$isobox" ]; then
  cargo build --release --locked -p isobox-cli --bin isobox
fi
if [ ! -x "$driver" ]; then
  cargo build --release --locked -p isobox-cli --example soak
fi

dir=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

# The driver warms every run slot up first, so it must know how many there are.
export SOAK_SLOTS=16
export ISOBOX_SOAK_KEY="soak-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
cat >"$dir/serve.toml" <<'EOF'
[server]
max_in_flight = 16
max_queued = 16
max_body_bytes = 65536

# Named by some runs; it lets nothing they ask for out (port 9 is never used).
[policies.blocked]
[[policies.blocked.allow]]
host = "127.0.0.1"
ports = [9]

[tenants.soak]
key_env = ["ISOBOX_SOAK_KEY"]
capabilities = ["kv", "todo"]
egress = ["blocked"]
[tenants.soak.max_limits]
wall_time_ms = 10000
memory_bytes = 67108864
EOF

"$isobox" serve --config "$dir/serve.toml" --listen 127.0.0.1:0 --log warn >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 1 600); do
  grep -q "listening on" "$dir/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "soak: the server exited"; cat "$dir/err"; exit 1; }
  sleep 0.1
done
addr=$(sed -n 's|^isobox serve listening on http://||p' "$dir/out")
[ -n "$addr" ] || { echo "soak: the server did not start"; cat "$dir/err"; exit 1; }
echo "soak: $isobox serve on $addr (pid $pid), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

status=0
SOAK_ADDR="$addr" SOAK_PID="$pid" "$driver" || status=$?

failed() {
  echo "soak: FAIL: $*"
  status=1
}
if ! kill -0 "$pid" 2>/dev/null; then
  failed "the server process is gone"
else
  health=$(curl -s --max-time 10 "http://$addr/healthz" || true)
  [ "$health" = '{"status":"ok"}' ] || failed "/healthz answered: ${health:-nothing}"
  kill -TERM "$pid"
  server_exit=0
  wait "$pid" || server_exit=$?
  pid=""
  [ "$server_exit" -eq 0 ] || failed "the server exited with $server_exit on SIGTERM"
fi
if grep -q "panicked" "$dir/out" "$dir/err"; then
  failed "the server printed \"panicked\":"
  grep -m 5 -A 3 "panicked" "$dir/err" "$dir/out" || true
fi
echo "soak: the server logged $(wc -l <"$dir/err") lines at warn or above; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -s "$dir/err" ]; then
  echo "soak: first lines of the server's log:"
  head -5 "$dir/err"
fi
if [ "$status" -eq 0 ]; then
  echo "soak: PASS"
else
  echo "soak: FAIL"
fi
exit "$status"
