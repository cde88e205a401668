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
# JOBS sets the build parallelism (default 2). FUZZ_MERGE=1 adds the inputs
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

failed=()
for target in "${TARGETS[@]}"; do
  binary="$BUILD_DIR/fuzz/$target/${target}_fuzzer"
  work="$BUILD_DIR/corpus/$target"  # new inputs land here, not in the repo
  artifacts="$BUILD_DIR/artifacts/$target"
  log="$BUILD_DIR/logs/$target.log"
  rm -rf "$artifacts"  # only this run's failing input is listed
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  flags=(-max_total_time="$SECONDS_PER_TARGET" -timeout=30 -rss_limit_mb=2048
    -print_final_stats=1 -artifact_prefix="$artifacts/")
  dict="$ROOT/fuzz/$target/$target.dict"
  if [[ -f "$dict" ]]; then flags+=(-dict="$dict"); fi
  # fuzz/<target>/<target>.options: "name = value" lines of libFuzzer flags
  # (the [libfuzzer] section of OSS-Fuzz's format).
  options="$ROOT/fuzz/$target/$target.options"
  if [[ -f "$options" ]]; then
    while read -r flag; do flags+=("$flag"); done < <(
      awk -F' *= *' '/^[a-z_]+ *=/ { print "-" $1 "=" $2 }' "$options")
  fi
  echo "fuzz: $target for ${SECONDS_PER_TARGET}s (log: $log)"
  if "$binary" "${flags[@]}" "$work" "$ROOT/fuzz/corpus/$target" >"$log" 2>&1; then
    # libFuzzer's last status line: coverage edges, features, corpus, speed.
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 |
      sed "s/^/fuzz: $target: /" || true
  else
    echo "fuzz: $target FAILED; the end of its log:" >&2
    tail -n 60 "$log" >&2
    find "$artifacts" -type f -printf 'fuzz: input: %p\n' >&2
    failed+=("$target")
    continue
  fi
  if [[ "${FUZZ_MERGE:-0}" == 1 ]]; then
    # New coverage edges only (not hit counts): keeps the corpus small.
    "$binary" -merge=1 -use_counters=0 "$ROOT/fuzz/corpus/$target" "$work" \
      >>"$log" 2>&1
    echo "fuzz: $target: corpus now $(find "$ROOT/fuzz/corpus/$target" -type f | wc -l) inputs"
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: FAILED: ${failed[*]} (reproduce: build-fuzz/fuzz/<target>/<target>_fuzzer <input>)" >&2
  exit 1
fi
echo "fuzz: all ${#TARGETS[@]} target(s) ran ${SECONDS_PER_TARGET}s without a failure"
