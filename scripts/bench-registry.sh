#!/usr/bin/env bash
# `make bench-registry`: requests/s of one trivial handler through `isobox
# serve`'s worker route, configured in [workers] against the same code
# uploaded to the registry (PUT /v1/workers/NAME), side by side on one
# server, alternating rounds loaded by wrk; on SQLite and on the tests'
# PostgreSQL cluster. Figures, not pass/fail; the ratio is what to read.
# Usage: bench-registry.sh [ISOBOX] (default target/release/isobox).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
isobox=${1:-target/release/isobox}
rounds=${BENCH_ROUNDS:-5}
duration=${BENCH_DURATION:-4s}
connections=${BENCH_CONNECTIONS:-8}

bash scripts/install-wrk.sh

work=$(mktemp -d)
pid=""
started_pg=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  [ -n "$started_pg" ] && bash "$root/scripts/pg/cluster.sh" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "export default { fetch() { return new Response('hello'); } };" > "$work/hello.js"

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

bench() {
  local store=$1 location=$2
  cat > "$work/serve.toml" <<TOML
[server]
max_in_flight = 8
[store]
location = "$location"
[workers.configured]
file = "hello.js"
[tenants.bench]
key_env = ["BENCH_KEY"]
workers = ["configured"]
upload_workers = true
TOML
  : > "$work/out"
  BENCH_KEY=bench-key "$isobox" serve --listen 127.0.0.1:0 --config "$work/serve.toml" --log warn \
    > "$work/out" 2> "$work/err" &
  pid=$!
  local addr=""
  for _ in $(seq 1 600); do
    addr=$(sed -n 's|.*listening on http://||p' "$work/out")
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$work/err" >&2; echo "bench-registry: isobox serve did not start" >&2; exit 1; }
  python3 -c 'import json, sys; print(json.dumps({"code": open(sys.argv[1]).read()}))' "$work/hello.js" > "$work/upload.json"
  curl -sf -X PUT "http://$addr/v1/workers/uploaded" -H 'Authorization: Bearer bench-key' \
    -H 'Content-Type: application/json' --data-binary @"$work/upload.json" > /dev/null
  : > "$work/configured" ; : > "$work/uploaded"
  for round in $(seq 1 "$rounds"); do
    for name in configured uploaded; do
      wrk -t1 -c"$connections" -d"$duration" -H 'Authorization: Bearer bench-key' "http://$addr/v1/workers/$name/" |
        sed -n 's/Requests\/sec: *//p' >> "$work/$name"
    done
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
  local configured uploaded
  configured=$(median < "$work/configured")
  uploaded=$(median < "$work/uploaded")
  printf '%-10s configured %8.0f req/s   uploaded %8.0f req/s   uploaded/configured %.2fx   (medians of %s rounds; configured: %s; uploaded: %s)\n' \
    "$store" "$configured" "$uploaded" "$(awk -v u="$uploaded" -v c="$configured" 'BEGIN { print u / c }')" "$rounds" \
    "$(tr '\n' ' ' < "$work/configured")" "$(tr '\n' ' ' < "$work/uploaded")"
}

echo "bench-registry: wrk -c$connections -d$duration, $rounds alternating rounds per route, one trivial handler"
bench sqlite "$work/state.db"
url=$(bash scripts/pg/cluster.sh start | sed -n 's/^ISOBOX_TEST_PG_URL=//p')
started_pg=1
bench postgresql "$url?sslmode=disable"
