#!/usr/bin/env bash
# Load benchmark of `isobox serve` on loopback: wrk (Debian's package,
# installed here once) posts a trivial run, {"code":"1+1"}, with a bearer key,
# at concurrency 1, 16 and 256; each request is a fresh sandbox. Prints
# requests/s, p50/p99 latency, non-2xx responses, and the server's resident
# memory (VmRSS) at start, after warm-up and after every run.
#
#   bash scripts/bench-serve.sh [path/to/isobox]
#
# The default binary is the one to deploy, target/dist/isobox (`make dist`:
# fat LTO, one codegen unit), built here if missing.
#
# BENCH_SERVE_SECONDS (default 10) is the length of each measured round;
# BENCH_SERVE_THREADS (default 1) wrk's threads. wrk and the server share
# the machine's cores, so the figures are of both together.
set -euo pipefail
cd "$(dirname "$0")/.."

isobox=${1:-target/dist/isobox}
seconds=${BENCH_SERVE_SECONDS:-10}
threads=${BENCH_SERVE_THREADS:-1}

bash scripts/install-wrk.sh
if [ ! -x "$isobox" ]; then
  cargo build --profile dist --locked -p isobox-cli --bin isobox
fi

dir=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

key="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export ISOBOX_BENCH_KEY="$key"
cat >"$dir/serve.toml" <<'EOF'
# Default server settings (64 runs in flight, 256 queued).
[tenants.bench]
key_env = ["ISOBOX_BENCH_KEY"]
EOF
cat >"$dir/run.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"code":"1+1"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("ISOBOX_BENCH_KEY")
EOF

"$isobox" serve --config "$dir/serve.toml" --listen 127.0.0.1:0 --log warn >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 1 600); do
  grep -q "listening on" "$dir/out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$dir/err"; exit 1; }
  sleep 0.1
done
url=$(sed -n 's/^isobox serve listening on //p' "$dir/out")
[ -n "$url" ] || { echo "bench-serve: the server did not start"; cat "$dir/err"; exit 1; }

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
# The server's user + system CPU time so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
runs_total() {
  curl -s "$url/metrics" | awk '/^isobox_run_duration_seconds_count/ {print $2}'
}
check() {
  local reply
  reply=$(curl -s "$url/v1/run" -H "Authorization: Bearer $key" -d '{"code":"1+1"}')
  case "$reply" in
    *'"value":2'*) ;;
    *) echo "bench-serve: unexpected reply: $reply"; exit 1 ;;
  esac
}

check
rss_start=$(rss_kib)
# Warm-up at the highest concurrency too, so every sandbox slot the rounds
# can use (max_in_flight) has been used once before "after warm-up".
echo "warm-up: ${seconds}s at concurrency 16, then ${seconds}s at 256"
wrk -t"$threads" -c16 -d"${seconds}s" -s "$dir/run.lua" "$url/v1/run" >/dev/null
wrk -t"$threads" -c256 -d"${seconds}s" -s "$dir/run.lua" "$url/v1/run" >/dev/null
rss_warm=$(rss_kib)
runs_warm=$(runs_total)

printf '\n%-12s %12s %10s %10s %10s %8s %12s %16s %12s\n' concurrency "requests/s" "p50" "p99" "requests" "non-2xx" "VmRSS after" "server CPU/req" "server cores"
for connections in 1 16 256; do
  before=$(cpu_ticks)
  out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$dir/run.lua" "$url/v1/run")
  ticks=$(( $(cpu_ticks) - before ))
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  errors=$(awk '/Socket errors/ {print}' <<<"$out")
  cpu_us=$(( ticks * 1000000 / hz / (requests > 0 ? requests : 1) ))
  cores=$(awk -v t="$ticks" -v hz="$hz" -v s="$seconds" 'BEGIN {printf "%.2f", t / hz / s}')
  printf '%-12s %12s %10s %10s %10s %8s %8s MiB %13s us %12s %s\n' "$connections" "$rps" "$p50" "$p99" "$requests" "${non2xx:-0}" "$(($(rss_kib) / 1024))" "$cpu_us" "$cores" "$errors"
done
# Past 100,000 runs after warm-up in any case, at concurrency 16.
while [ $(( $(runs_total) - runs_warm )) -lt 100000 ]; do
  wrk -t"$threads" -c16 -d"${seconds}s" -s "$dir/run.lua" "$url/v1/run" >/dev/null
done
check
runs_end=$(runs_total)
rss_end=$(rss_kib)

echo
echo "runs: $runs_warm in warm-up, $((runs_end - runs_warm)) after it, $runs_end in all"
echo "server VmRSS: start $((rss_start / 1024)) MiB, after warm-up $((rss_warm / 1024)) MiB, after $((runs_end - runs_warm)) more runs $((rss_end / 1024)) MiB"
echo "(wrk with $threads thread(s) and the server share this machine's $(nproc) cores, with whatever else runs;"
echo " server cores: the server's CPU time over the round's length; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
