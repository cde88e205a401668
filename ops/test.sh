#!/usr/bin/env bash
# Installs dependencies, checks formatting (ops/check-format.sh), builds
# Release and runs every test with ctest (CTEST_JOBS at a time, default 4:
# most pipeline tests wait on the mock cluster's group rebalances and use a
# fraction of a core, so twice the cores keeps both busy), then
# runs each fuzz target for FUZZ_SECONDS (default 60; 0 skips it; two at a time) with
# ops/fuzz.sh, in its own build directory (build-fuzz/).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JOBS="${JOBS:-2}"  # ops/build.sh and ops/fuzz.sh read it
CTEST_JOBS="${CTEST_JOBS:-4}"

# Each step's wall time, printed as it ends and summed up at the end, so a
# slow CI run shows which step grew.
TIMES=()
step() {
  local name="$1" start=$SECONDS status=0
  shift
  "$@" || status=$?
  TIMES+=("$name $((SECONDS - start))s")
  if ((status != 0)); then
    echo "test: $name FAILED (exit $status) after $((SECONDS - start))s" \
      "(${TIMES[*]})" >&2
    exit "$status"
  fi
  echo "test: $name took $((SECONDS - start))s"
}

step install-deps "$ROOT/ops/install-deps.sh"
step check-format "$ROOT/ops/check-format.sh"
step build "$ROOT/ops/build.sh" Release
echo "test: ctest -j$CTEST_JOBS"
step ctest ctest --test-dir "$ROOT/build" --output-on-failure -j "$CTEST_JOBS" \
  --timeout 600
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
if [[ "$FUZZ_SECONDS" != 0 ]]; then
  step fuzz env JOBS="$JOBS" "$ROOT/ops/fuzz.sh" "$FUZZ_SECONDS"
fi
echo "test: all tests passed in ${SECONDS}s (${TIMES[*]})"
