#!/usr/bin/env bash
# `make bench-workers`: requests/s and latency percentiles of one trivial
# Workers-style handler, served two ways on 127.0.0.1 and loaded by wrk:
#   - `wasmtime serve app.wasm` (wasmtime-cli 48.0.8) of the `isobox build` output;
#   - `isobox serve`'s stored-worker route, a fresh sandbox per request.
# Figures, not pass/fail. Usage: bench-workers.sh [ISOBOX] (default target/dist/isobox, `make dist`).
set -euo pipefail
cd "$(dirname "$0")/.."
isobox=${1:-target/dist/isobox}
duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-16}
threads=${BENCH_THREADS:-2}

bash scripts/install-wrk.sh
bash scripts/install-wasmtime-cli.sh
wasmtime=.cache/wasmtime-cli/bin/wasmtime

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/hello.js" <<'JS'
export default { fetch: () => new Response('hello') };
JS
"$isobox" build "$work/hello.js" -o "$work/hello.wasm" 2>/dev/null
size=$(stat -c %s "$work/hello.wasm")

# Waits for "PREFIX<addr>" in FILE and prints the address.
address() {
  local file=$1 prefix=$2
  for _ in $(seq 1 600); do
    local line
    line=$(grep -m1 "$prefix" "$file" 2>/dev/null || true)
    if [ -n "$line" ]; then
      echo "${line#*"$prefix"}" | tr -d '/'
      return
    fi
    sleep 0.1
  done
  echo "no address in $file" >&2
  cat "$file" >&2
  exit 1
}

# Runs wrk on URL (with extra args) and prints "requests/s p50 p99".
load() {
  local url=$1
  shift
  wrk -t"$threads" -c"$connections" -d"$duration" --latency "$@" "$url" > "$work/wrk.txt"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
  errors=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.txt")
  echo "$rps $p50 $p99 ${errors:-0}"
}

"$wasmtime" serve --addr 127.0.0.1:0 "$work/hello.wasm" > /dev/null 2> "$work/wasmtime.log" &
pids+=($!)
wasmtime_addr=$(address "$work/wasmtime.log" "Serving HTTP on http://")
read -r w_rps w_p50 w_p99 w_err < <(load "http://$wasmtime_addr/")
kill "${pids[0]}" 2>/dev/null || true

# The same with the pooling allocator and resident memory, as isobox's engine uses.
"$wasmtime" serve -O pooling-allocator=y -O pooling-memory-keep-resident=4194304 -O pooling-table-keep-resident=4194304 \
  --addr 127.0.0.1:0 "$work/hello.wasm" > /dev/null 2> "$work/wasmtime-pooling.log" &
pids+=($!)
pooling_addr=$(address "$work/wasmtime-pooling.log" "Serving HTTP on http://")
read -r p_rps p_p50 p_p99 p_err < <(load "http://$pooling_addr/")
kill "${pids[1]}" 2>/dev/null || true

cat > "$work/serve.toml" <<TOML
[server]
max_in_flight = 64
max_queued = 1024
[workers.hello]
file = "hello.js"
[tenants.bench]
key_env = ["ISOBOX_BENCH_KEY"]
workers = ["hello"]
TOML
ISOBOX_BENCH_KEY=bench-key "$isobox" serve --listen 127.0.0.1:0 --config "$work/serve.toml" \
  > "$work/isobox.out" 2> "$work/isobox.log" &
pids+=($!)
isobox_addr=$(address "$work/isobox.out" "listening on http://")
read -r i_rps i_p50 i_p99 i_err < <(load "http://$isobox_addr/v1/workers/hello/" -H 'authorization: Bearer bench-key')

echo
echo "One trivial handler, $duration of wrk -t$threads -c$connections on 127.0.0.1 ($(nproc) cores):"
printf '%-50s %12s %10s %10s %8s\n' "server" "requests/s" "p50" "p99" "non-2xx"
printf '%-50s %12s %10s %10s %8s\n' "wasmtime serve app.wasm (isobox build)" "$w_rps" "$w_p50" "$w_p99" "$w_err"
printf '%-50s %12s %10s %10s %8s\n' "  the same, -O pooling-allocator, 4 MiB resident" "$p_rps" "$p_p50" "$p_p99" "$p_err"
printf '%-50s %12s %10s %10s %8s\n' "isobox serve /v1/workers/hello/" "$i_rps" "$i_p50" "$i_p99" "$i_err"
echo "app.wasm: $size bytes"
