#!/usr/bin/env bash
# Builds the fuzz targets of fuzz/ with libFuzzer on stable Rust and runs each
# for a bounded time. See fuzz/README.md.
#
#   bash scripts/fuzz.sh                 every target, FUZZ_SECONDS each (default 60)
#   bash scripts/fuzz.sh --smoke         the replay test, then every target for
#                                        FUZZ_SECONDS each (default 15): `make test`
#   bash scripts/fuzz.sh codec url       only these targets
#
# Environment: FUZZ_SECONDS (per target), FUZZ_TIMEOUT (seconds one input may
# take before it counts as a hang; default 10), FUZZ_RSS_MB (default 2048),
# FUZZ_ARGS (more libFuzzer flags), FUZZ_TARGET_DIR (default target/fuzz),
# CARGO (default cargo).
#
# Builds into target/fuzz (its own directory: the coverage flags would
# otherwise invalidate the main build's cache). Each target's working corpus
# is target/fuzz/corpus/TARGET (it grows from run to run; the seeds in
# fuzz/corpus/TARGET are read, never written); a crash is kept in
# target/fuzz/artifacts/TARGET/ and makes the script exit 1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO="${CARGO:-cargo}"
SMOKE=0
TARGETS=()
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $arg" >&2; exit 2 ;;
    *) TARGETS+=("$arg") ;;
  esac
done
if [ "$SMOKE" = 1 ]; then
  SECONDS_EACH="${FUZZ_SECONDS:-15}"
else
  SECONDS_EACH="${FUZZ_SECONDS:-60}"
fi
if [ "${#TARGETS[@]}" = 0 ]; then
  mapfile -t TARGETS < <(cd "$ROOT/fuzz/fuzz_targets" && ls -1 *.rs | sed 's/\.rs$//')
fi

# The flags cargo-fuzz uses with `-s none` (coverage without a sanitizer):
# -Zsanitizer is nightly-only; SanitizerCoverage through LLVM arguments is
# not. `--target` keeps them off build scripts and proc macros. Debug
# assertions and overflow checks (cargo-fuzz's -Cdebug-assertions
# -Coverflow-checks) are the workspace's `fuzz` profile instead (root
# Cargo.toml), which can exempt a crate.
HOST="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$ROOT/target/fuzz}"
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS
WORK="$CARGO_TARGET_DIR"
BIN="$CARGO_TARGET_DIR/$HOST/fuzz"

started=$(date +%s)
echo "fuzz: building ${#TARGETS[@]} targets (libFuzzer, SanitizerCoverage, release + debug assertions) into $WORK"
bins=()
for target in "${TARGETS[@]}"; do
  [ -f "$ROOT/fuzz/fuzz_targets/$target.rs" ] || { echo "fuzz: no target $target" >&2; exit 2; }
  bins+=(--bin "$target")
done
(cd "$ROOT/fuzz" && "$CARGO" build --profile fuzz --locked -p isobox-fuzz --features libfuzzer --target "$HOST" "${bins[@]}")
summary=()
failed=()
if [ "$SMOKE" = 1 ]; then
  echo "fuzz: replaying fuzz/regressions and fuzz/corpus (tests/replay.rs)"
  if (cd "$ROOT/fuzz" && "$CARGO" test --profile fuzz --locked -p isobox-fuzz --target "$HOST" --test replay); then
    summary+=("replay test: passed")
  else
    summary+=("replay test: FAILED (a file of fuzz/regressions or fuzz/corpus crashes its target)")
    failed+=("replay")
  fi
fi
built=$(date +%s)
echo "fuzz: built in $((built - started)) s; running each target for ${SECONDS_EACH} s"

for target in "${TARGETS[@]}"; do
  corpus="$WORK/corpus/$target"
  artifacts="$WORK/artifacts/$target"
  log="$WORK/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")" "$ROOT/fuzz/corpus/$target"
  before=$(find "$artifacts" -type f | wc -l)
  echo "fuzz: $target: ${SECONDS_EACH} s (log $log)"
  t0=$(date +%s)
  status=0
  # shellcheck disable=SC2086
  "$BIN/$target" "$corpus" "$ROOT/fuzz/corpus/$target" \
    -max_total_time="$SECONDS_EACH" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?
  t1=$(date +%s)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  size=$(find "$corpus" -type f | wc -l)
  crashes=$(( $(find "$artifacts" -type f | wc -l) - before ))
  summary+=("$(printf '%-16s %6s s %12s runs %7s corpus %3s crashes' "$target" "$((t1 - t0))" "${runs:-?}" "$size" "$crashes")")
  if [ "$status" != 0 ] || [ "$crashes" -gt 0 ]; then
    failed+=("$target")
    echo "fuzz: $target FAILED (exit $status); from its log ($log):" >&2
    grep -m1 -A3 'panicked at' "$log" >&2 || true
    grep -E '^(==[0-9]+== ERROR|SUMMARY|artifact_prefix|MS: )' "$log" >&2 || tail -n 20 "$log" >&2
    newest=$(ls -t "$artifacts" 2>/dev/null | head -1 || true)
    if [ -n "$newest" ]; then
      echo "fuzz: reproduce: $BIN/$target $artifacts/$newest" >&2
      echo "fuzz: minimise: $BIN/$target -minimize_crash=1 -runs=100000 -artifact_prefix=$artifacts/min- $artifacts/$newest" >&2
    fi
  fi
done

echo
echo "fuzz: summary ($(( $(date +%s) - started )) s in all, build included)"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" != 0 ]; then
  echo "fuzz: failed: ${failed[*]} (crashing inputs kept under $WORK/artifacts/)" >&2
  exit 1
fi
