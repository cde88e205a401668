#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/: clang, AddressSanitizer and
# UndefinedBehaviorSanitizer) in build-fuzz/ and runs each for a while,
# starting from its corpus in fuzz/corpus/<target>/. Fails on the first
# crash, sanitizer report, failed check, leak or hang (an input over 30 s);
# the input is saved as build-fuzz/artifacts/<target>/crash-* (or leak-*,
# timeout-*) and the log's end is printed. See docs/FUZZING.md.
#
# Usage: ops/fuzz.sh [seconds-per-target] [target...]
#   seconds-per-target  default 60
#   target              callevent_json, callevent_proto, config_toml,
#                       queue_log (default: all)
# JOBS sets the build parallelism and how many targets fuzz at once
# (default 2: one per core). FUZZ_MERGE=1 adds the inputs
# that reached new coverage to fuzz/corpus/<target>/ afterwards.
set -euo pipefail

SECONDS_PER_TARGET="${1:-60}"
shift || true
if ! [[ "$SECONDS_PER_TARGET" =~ ^[0-9]+$ ]] || ((SECONDS_PER_TARGET < 1)); then
  echo "usage: $0 [seconds-per-target] [target...]" >&2
  exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build-fuzz"
JOBS="${JOBS:-2}"
TARGETS=("$@")
if ((${#TARGETS[@]} == 0)); then
  TARGETS=(callevent_json callevent_proto config_toml queue_log)
fi
for target in "${TARGETS[@]}"; do
  if [[ ! -d "$ROOT/fuzz/$target" || ! -d "$ROOT/fuzz/corpus/$target" ]]; then
    echo "fuzz: unknown target '$target' (no fuzz/$target/ or corpus)" >&2
    exit 2
  fi
done

# clang and libclang-rt-14-dev (libFuzzer, the sanitizer runtimes) are in the
# project's package list with everything else the build needs.
"$ROOT/ops/install-deps.sh"

echo "fuzz: configuring $BUILD_DIR (clang++, CALLFLOW_FUZZ=ON)"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCALLFLOW_FUZZ=ON \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
echo "fuzz: building with -j$JOBS"
cmake --build "$BUILD_DIR" -j "$JOBS" \
  --target "${TARGETS[@]/%/_fuzzer}"

# One target's run; its verdict goes to $BUILD_DIR/status/<target>.
run_target() {
  local target="$1"
  local binary="$BUILD_DIR/fuzz/$target/${target}_fuzzer"
  local work="$BUILD_DIR/corpus/$target"  # new inputs land here, not in the repo
  local artifacts="$BUILD_DIR/artifacts/$target"
  local log="$BUILD_DIR/logs/$target.log"
  local status="$BUILD_DIR/status/$target"
  rm -rf "$artifacts" "$status"  # only this run's failing input is listed
  mkdir -p "$work" "$artifacts" "$(dirname "$log")" "$(dirname "$status")"
  local flags=(-max_total_time="$SECONDS_PER_TARGET" -timeout=30
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/")
  local dict="$ROOT/fuzz/$target/$target.dict"
  if [[ -f "$dict" ]]; then flags+=(-dict="$dict"); fi
  local options="$ROOT/fuzz/$target/$target.options"
  if [[ -f "$options" ]]; then
    while read -r flag; do flags+=("$flag"); done < <(
      awk -F' *= *' '/^[a-z_]+ *=/ { print "-" $1 "=" $2 }' "$options")
  fi
  echo "fuzz: $target for ${SECONDS_PER_TARGET}s (log: $log)"
  if "$binary" "${flags[@]}" "$work" "$ROOT/fuzz/corpus/$target" >"$log" 2>&1; then
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 |
      sed "s/^/fuzz: $target: /" || true
  else
    echo "fuzz: $target FAILED; the end of its log:" >&2
    tail -n 60 "$log" >&2
    find "$artifacts" -type f -printf 'fuzz: input: %p\n' >&2
    echo failed >"$status"
    return
  fi
  if [[ "${FUZZ_MERGE:-0}" == 1 ]]; then
    "$binary" -merge=1 -use_counters=0 "$ROOT/fuzz/corpus/$target" "$work" \
      >>"$log" 2>&1
    echo "fuzz: $target: corpus now $(find "$ROOT/fuzz/corpus/$target" -type f | wc -l) inputs"
  fi
  echo ok >"$status"
}

# $JOBS targets at a time, each on its own core.
running=0
for target in "${TARGETS[@]}"; do
  if ((running >= JOBS)); then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$target" &
  running=$((running + 1))
done
wait || true

failed=()
for target in "${TARGETS[@]}"; do
  if [[ "$(cat "$BUILD_DIR/status/$target" 2>/dev/null)" != ok ]]; then
    failed+=("$target")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: FAILED: ${failed[*]} (reproduce: build-fuzz/fuzz/<target>/<target>_fuzzer <input>)" >&2
  exit 1
fi
echo "fuzz: all ${#TARGETS[@]} target(s) ran ${SECONDS_PER_TARGET}s without a failure"
