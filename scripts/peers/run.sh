#!/usr/bin/env bash
# `make bench-peers`: isobox against its peers on the same two workloads, in
# one run, side by side. Figures, not pass/fail. benches/peers/README.md says
# what each row measures and how to read the output.
#
#   bash scripts/peers/run.sh [ISOBOX]      (default target/dist/isobox, `make dist`)
#
# Workloads (benches/peers/workloads): `trivial` (1 + 1; a handler answering
# "2") and `realistic` (a ~2 KB order parsed with zod and totalled, bundled
# with esbuild into one script per shape). Every peer's answer is checked
# once against node's before anything is timed; a wrong answer stops the run.
#
#  1. latency per run, one fresh sandbox (or process) per run: isobox run
#     --repeat, isolated-vm, quickjs-emscripten, `node FILE` and `isobox run
#     FILE` as a process per run;
#  2. HTTP requests/s and latency under wrk at each concurrency: isobox serve
#     (/v1/run and a worker route), wasmtime serve of `isobox build` (default
#     and pooling allocator), workerd (a plain worker; the Worker Loader with
#     load(), with get(new id) and with get(fixed id)), in interleaved rounds;
#  3. resident memory against runs served, sampled during 1 and 2.
#
# Prints a markdown table on stdout; writes target/peers/results.json (every
# figure), target/peers/raw/ (every sample), target/peers/logs/ (server logs)
# and the plots docs/peers/{latency,throughput,memory}.svg. Progress on stderr.
#
# Environment:
#   BENCH_DURATION      one wrk measurement (10s)
#   ROUNDS              rounds of every measurement (5)
#   PEERS               comma list of peers to run (all): isobox, isolated-vm,
#                       quickjs-emscripten, process, wasmtime, workerd
#   BENCH_RUNS          runs per round, in-process peers (2000)
#   BENCH_PROCESS_RUNS  runs per round, a process per run (200)
#   BENCH_CONCURRENCY   wrk connections, space-separated (1 8 32 128)
#   WRK_THREADS         wrk threads (1; never more than the connections)
#   WORKERD_NEW_ID_MAX  requests per measurement of workerd's get(new id) row,
#                       whose server keeps every worker it loaded (1000)
#   WORKLOADS           space-separated subset of "trivial realistic"
#   PLOTS_DIR           where the plots go (docs/peers)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

isobox=${1:-target/dist/isobox}
duration=${BENCH_DURATION:-10s}
rounds=${ROUNDS:-5}
peers=${PEERS:-isobox,isolated-vm,quickjs-emscripten,process,wasmtime,workerd}
runs=${BENCH_RUNS:-2000}
process_runs=${BENCH_PROCESS_RUNS:-200}
concurrency=${BENCH_CONCURRENCY:-1 8 32 128}
threads=${WRK_THREADS:-1}
new_id_max=${WORKERD_NEW_ID_MAX:-1000}
workloads=${WORKLOADS:-trivial realistic}

started_at=$(date +%s)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
step() { printf 'bench-peers [%s]: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  echo "bench-peers: $*" >&2
  exit 1
}

known="isobox isolated-vm quickjs-emscripten process wasmtime workerd"
for peer in ${peers//,/ }; do
  [[ " $known " == *" $peer "* ]] || die "unknown peer '$peer' in PEERS (known: ${known// /, })"
done
want() { [[ ",$peers," == *",$1,"* ]]; }
for workload in $workloads; do
  [[ " trivial realistic " == *" $workload "* ]] || die "unknown workload '$workload' in WORKLOADS"
done
[[ "$duration" =~ ^[0-9]+[smh]?$ ]] || die "BENCH_DURATION must be like 10s, not '$duration'"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive number"
# isobox is needed by every row but the node ones: the isobox process per
# run, `isobox build` for wasmtime serve.
if want isobox || want process || want wasmtime; then
  [ -x "$isobox" ] || die "no isobox binary at $isobox (make dist builds target/dist/isobox; or pass its path)"
  isobox=$(cd "$(dirname "$isobox")" && pwd)/$(basename "$isobox")
fi

out=$root/target/peers
raw=$out/raw
logs=$out/logs
work=$out/work
plots=${PLOTS_DIR:-$root/docs/peers}
rm -rf "$raw" "$logs" "$work"
mkdir -p "$raw" "$logs" "$work" "$plots"
# isobox's precompiled sandbox, kept between bench runs but apart from the user's.
export ISOBOX_CACHE_DIR=$out/isobox-cache

# Every process started here (servers, RSS samplers) is stopped by PID on
# exit; one stopped earlier is forgotten first, so no reused PID is hit.
pids=()
forget() {
  local keep=() pid
  for pid in "${pids[@]}"; do
    if [ "$pid" != "$1" ]; then keep+=("$pid"); fi
  done
  pids=("${keep[@]}")
}
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "installing the peers (scripts/peers/install.sh; skipped when done)"
install_started=$(date +%s)
bash scripts/peers/install.sh
install_seconds=$(($(date +%s) - install_started))
npm_dir=$root/.cache/peers/npm
esbuild=$npm_dir/node_modules/.bin/esbuild
workerd=$npm_dir/node_modules/@cloudflare/workerd-linux-64/bin/workerd
wasmtime=$root/.cache/wasmtime-cli/bin/wasmtime
python=$root/.cache/peers/venv/bin/python

# isobox compiles its sandbox on first use (about a second) and caches it:
# done here, so that no row measures it.
if want isobox || want process || want wasmtime; then
  echo '1 + 1' | "$isobox" run - >/dev/null || die "isobox cannot run 1 + 1"
fi

# --- The workloads, one directory each: script.js (a classic script whose
# completion value is the answer), worker.js (a module worker answering it),
# node.js (a node program printing it), expected.txt, body.json (a /v1/run
# request), app.wasm (`isobox build` of worker.js).
src=$root/benches/peers/workloads
for workload in $workloads; do
  step "building the $workload workload"
  dir=$work/$workload
  mkdir -p "$dir"
  case $workload in
    trivial)
      cp "$src/trivial.script.js" "$dir/script.js"
      cp "$src/trivial.worker.js" "$dir/worker.js"
      cp "$src/trivial.node.js" "$dir/node.js"
      ;;
    realistic)
      bundle=(--bundle --minify --target=es2022 --loader:.json=text --log-level=warning)
      NODE_PATH=$npm_dir/node_modules "$esbuild" "$src/realistic.js" "${bundle[@]}" --format=iife \
        --global-name=__peer --footer:js='__peer.run();' --outfile="$dir/script.js"
      NODE_PATH=$npm_dir/node_modules "$esbuild" "$src/realistic.js" "${bundle[@]}" --format=iife \
        --global-name=__peer --footer:js='console.log(__peer.run());' --outfile="$dir/node.js"
      NODE_PATH=$npm_dir/node_modules "$esbuild" "$src/realistic.worker.js" "${bundle[@]}" --format=esm \
        --outfile="$dir/worker.js"
      ;;
  esac
  # The answer, from node itself (a fresh V8 context).
  node -e '
    const fs = require("fs"), vm = require("vm");
    const value = vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"));
    fs.writeFileSync(process.argv[2], String(value));
    fs.writeFileSync(process.argv[3], JSON.stringify({ code: fs.readFileSync(process.argv[1], "utf8"), form: "script" }));
  ' "$dir/script.js" "$dir/expected.txt" "$dir/body.json"
  if want wasmtime; then
    "$isobox" build "$dir/worker.js" -o "$dir/app.wasm" 2>"$logs/build-$workload.log" ||
      die "isobox build of the $workload worker failed (see $logs/build-$workload.log)"
  fi
done

# --- 1. Latency per run, in-process peers and a process per run.
inproc_rows=()
want isobox && inproc_rows+=(isobox-repeat)
want isolated-vm && inproc_rows+=(isolated-vm)
want quickjs-emscripten && inproc_rows+=(quickjs-emscripten)
want process && inproc_rows+=(node-process isobox-process)
for workload in $workloads; do
  dir=$work/$workload
  for row in "${inproc_rows[@]}"; do
    node_flags=()
    file=$dir/script.js
    n=$runs warm=200
    case $row in
      isolated-vm) node_flags=(--no-node-snapshot) ;; # isolated-vm asks for it on node >= 20
      node-process) file=$dir/node.js n=$process_runs warm=5 ;;
      isobox-process) n=$process_runs warm=5 ;;
    esac
    step "latency, $workload: $row, $rounds rounds of $n runs (+$warm warm-up)"
    node "${node_flags[@]}" "$root/benches/peers/inproc.mjs" "$row" --code "$file" --expect "$dir/expected.txt" \
      --runs "$n" --rounds "$rounds" --warmup "$warm" --out "$raw/inproc-$row-$workload.json" \
      --npm-dir "$npm_dir" --isobox "$isobox" --workload "$workload" ||
      die "$row failed on the $workload workload"
  done
done

# --- 2 and 3. HTTP servers under wrk, with their resident memory.
http_rows=()
want isobox && http_rows+=(isobox-run isobox-worker)
want wasmtime && http_rows+=(wasmtime wasmtime-pooling)
want workerd && http_rows+=(workerd-plain workerd-load workerd-new-id workerd-cached)

key="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export ISOBOX_BENCH_KEY=$key
declare -A url=() auth=() body=() server_pid=() instance=()

# "VmRSS RssAnon" of PID in KiB (nothing once it is gone); no process
# spawned. RssAnon is the process's own memory (its heap, the pages it wrote
# of private file mappings such as isobox's sandboxes): unlike VmRSS it does
# not count a file's page-cache pages (the binary, the snapshot image, which
# other processes map too) once per mapping.
mem_of() {
  local k v rest rss=""
  while read -r k v rest; do
    case $k in
      VmRSS:) rss=$v ;;
      RssAnon:)
        [ -n "$rss" ] || return 1
        echo "$rss $v"
        return 0
        ;;
    esac
  done <"/proc/$1/status" 2>/dev/null
  return 1
}
# Appends "epoch-seconds rss-kib anon-kib" for PID to FILE every 0.5 s
# while PID lives.
sample_rss() {
  local mem
  while mem=$(mem_of "$1"); do
    echo "$EPOCHREALTIME $mem" >>"$2"
    sleep 0.5
  done
}

# Waits for PATTERN (a sed expression printing the base URL) in LOG of PID.
wait_url() {
  local pid=$1 log=$2 pattern=$3 found
  for _ in $(seq 1 600); do
    found=$(sed -n "$pattern" "$log" 2>/dev/null | head -n1)
    if [ -n "$found" ]; then
      echo "${found%/}"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "bench-peers: the server of $log did not start:" >&2
  tail -n 20 "$log" >&2
  return 1
}

# Starts ROW's server for WORKLOAD; sets url/auth/body/server_pid/instance.
start_server() {
  local row=$1 workload=$2 dir=$work/$2 log base pid
  instance[$row]=$((${instance[$row]:-0} + 1))
  log=$logs/$row-$workload-${instance[$row]}.log
  case $row in
    isobox-run | isobox-worker)
      [ -f "$dir/serve.toml" ] || cat >"$dir/serve.toml" <<'TOML'
# Default server settings (64 runs in flight, 256 queued), one worker.
[workers.peer]
file = "worker.js"

[tenants.bench]
key_env = ["ISOBOX_BENCH_KEY"]
workers = ["peer"]
TOML
      "$isobox" serve --config "$dir/serve.toml" --listen 127.0.0.1:0 --log warn >"$log" 2>&1 &
      pid=$!
      pids+=("$pid")
      base=$(wait_url "$pid" "$log" 's/^isobox serve listening on //p') || return 1
      auth[$row]=$key
      if [ "$row" = isobox-run ]; then
        url[$row]=$base/v1/run
        body[$row]=$dir/body.json
      else
        url[$row]=$base/v1/workers/peer/
        body[$row]=""
      fi
      ;;
    wasmtime | wasmtime-pooling)
      local flags=()
      # As scripts/bench-workers.sh: the pooling allocator with 4 MiB kept resident, as isobox's engine.
      if [ "$row" = wasmtime-pooling ]; then
        flags=(-O pooling-allocator=y -O pooling-memory-keep-resident=4194304 -O pooling-table-keep-resident=4194304)
      fi
      "$wasmtime" serve "${flags[@]}" --addr 127.0.0.1:0 "$dir/app.wasm" >"$log" 2>&1 &
      pid=$!
      pids+=("$pid")
      base=$(wait_url "$pid" "$log" 's/^Serving HTTP on \(http:\/\/[0-9.:]*\).*/\1/p') || return 1
      url[$row]=$base/
      auth[$row]="" body[$row]=""
      ;;
    workerd-*)
      local config experimental=()
      cp "$root/benches/peers/workerd/plain.capnp" "$root/benches/peers/workerd/loader-parent.js" "$dir/"
      case $row in
        workerd-plain) config=$dir/plain.capnp ;;
        *)
          config=$dir/${row}.capnp
          sed "s/@MODE@/${row#workerd-}/" "$root/benches/peers/workerd/loader.capnp" >"$config"
          experimental=(--experimental)
          ;;
      esac
      "$workerd" serve "${experimental[@]}" "$config" --socket-addr http=127.0.0.1:0 >"$log" 2>&1 &
      pid=$!
      pids+=("$pid")
      base=$(wait_url "$pid" "$log" 's/^.*Listening on \(http:\/\/[0-9.:]*\).*/\1/p') || return 1
      url[$row]=$base/
      auth[$row]="" body[$row]=""
      ;;
  esac
  server_pid[$row]=$pid
  echo "$EPOCHREALTIME $(mem_of "$pid")" >>"$raw/rss-$row-$workload-${instance[$row]}.txt"
}

stop_server() {
  local pid=${server_pid[$1]}
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget "$pid"
}

# One request; prints the answer (for /v1/run: the outcome's value).
ask() {
  local row=$1 headers=()
  if [ -n "${auth[$row]}" ]; then headers+=(-H "Authorization: Bearer ${auth[$row]}"); fi
  if [ -n "${body[$row]}" ]; then
    curl -sS --max-time 60 "${headers[@]}" -H 'Content-Type: application/json' --data-binary "@${body[$row]}" "${url[$row]}" |
      node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        const o = JSON.parse(s); process.stdout.write(o.ok ? String(o.value) : "error: " + JSON.stringify(o.error)); })'
  else
    curl -sS --max-time 60 "${headers[@]}" "${url[$row]}"
  fi
}

check_answer() {
  local row=$1 workload=$2 got
  got=$(ask "$row") || die "$row did not answer on the $workload workload (see $logs/)"
  [ "$got" = "$(cat "$work/$workload/expected.txt")" ] ||
    die "$row gave a wrong answer on the $workload workload: expected $(head -c 200 "$work/$workload/expected.txt"), got $(head -c 200 <<<"$got")"
}

# One wrk measurement of ROW at CONNECTIONS for SECONDS; with a ROUND, its
# figures are appended to http-WORKLOAD.jsonl and memory sampled meanwhile.
load() {
  local row=$1 workload=$2 connections=$3 seconds=$4 round=${5:-} t=$threads line sampler start end rss_file
  if [ "$t" -gt "$connections" ]; then t=$connections; fi
  local cap=""
  if [ "$row" = workerd-new-id ]; then cap=$(((new_id_max + t - 1) / t)); fi
  rss_file=$raw/rss-$row-$workload-${instance[$row]}.txt
  if [ -n "$round" ]; then
    sample_rss "${server_pid[$row]}" "$rss_file" &
    sampler=$!
    pids+=("$sampler")
  fi
  start=$EPOCHREALTIME
  line=$(PEERS_BODY_FILE=${body[$row]} PEERS_AUTH=${auth[$row]} PEERS_MAX_REQUESTS=$cap \
    wrk -t"$t" -c"$connections" -d"$seconds" --timeout 10s -s "$root/benches/peers/wrk.lua" "${url[$row]}" |
    sed -n 's/^PEERS //p') || true
  end=$EPOCHREALTIME
  if [ -n "$round" ]; then
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    forget "$sampler"
    echo "$end $(mem_of "${server_pid[$row]}")" >>"$rss_file"
  fi
  [ -n "$line" ] || die "wrk gave no figures for $row at $connections connections ($workload; see $logs/)"
  if [ -n "$round" ]; then
    printf '{"row":"%s","workload":"%s","round":%d,"concurrency":%d,"instance":%d,"start":%s,"end":%s,"wrk":%s}\n' \
      "$row" "$workload" "$round" "$connections" "${instance[$row]}" "$start" "$end" "$line" >>"$raw/http-$workload.jsonl"
  fi
}

if [ ${#http_rows[@]} -gt 0 ]; then
  n_conc=$(wc -w <<<"$concurrency")
  step "HTTP: ${#http_rows[@]} servers x $n_conc concurrencies x $rounds rounds x $(wc -w <<<"$workloads") workloads, $duration each (about $((${#http_rows[@]} * n_conc * rounds * $(wc -w <<<"$workloads") * ${duration%[smh]} / 60)) minutes)"
fi
warmup_seconds=2s
for workload in $workloads; do
  [ ${#http_rows[@]} -gt 0 ] || break
  # Every server of the workload runs at once (idle but for its turn), so
  # the rounds can alternate between them; workerd's get(new id) row keeps
  # every worker it loads, so it gets a fresh server per measurement instead.
  for row in "${http_rows[@]}"; do
    step "HTTP, $workload: starting $row, checking its answer, warming it up ($warmup_seconds at 8 connections)"
    start_server "$row" "$workload" || die "$row did not start on the $workload workload"
    check_answer "$row" "$workload"
    load "$row" "$workload" 8 "$warmup_seconds"
    if [ "$row" = workerd-new-id ]; then stop_server "$row"; fi
  done
  for round in $(seq 1 "$rounds"); do
    # Each round starts the rotation one server later, so no server is
    # always measured right after the same one.
    order=("${http_rows[@]:$(((round - 1) % ${#http_rows[@]}))}" "${http_rows[@]:0:$(((round - 1) % ${#http_rows[@]}))}")
    for connections in $concurrency; do
      for row in "${order[@]}"; do
        step "HTTP, $workload, round $round/$rounds: $row at $connections connections"
        if [ "$row" = workerd-new-id ]; then
          start_server "$row" "$workload" || die "$row did not start"
          load "$row" "$workload" "$connections" "$duration" "$round"
          stop_server "$row"
        else
          load "$row" "$workload" "$connections" "$duration" "$round"
        fi
      done
    done
  done
  for row in "${http_rows[@]}"; do
    if [ "$row" != workerd-new-id ]; then
      check_answer "$row" "$workload"
      stop_server "$row"
    fi
  done
done

# --- The table, results.json and the plots.
step "writing target/peers/results.json, the table and $plots/*.svg"
finished_at=$(date +%s)
"$python" "$root/benches/peers/report.py" --raw "$raw" --out "$out/results.json" --npm-dir "$npm_dir" \
  --isobox "$isobox" --workerd "$workerd" --wasmtime "$wasmtime" \
  --settings "duration=$duration rounds=$rounds runs=$runs process_runs=$process_runs threads=$threads new_id_max=$new_id_max" \
  --concurrency "$concurrency" --workloads "$workloads" \
  --started "$started_at" --finished "$finished_at" --install-seconds "$install_seconds" \
  --load-average "$load_at_start"
MPLCONFIGDIR=$out/matplotlib "$python" "$root/benches/peers/plot.py" "$out/results.json" "$plots"
step "done in $(($(date +%s) - started_at)) s"
