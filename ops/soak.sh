#!/usr/bin/env bash
# Chaos soak of scale-out: runs the random-schedule test
# (tests/processor/pipeline/chaos_soak_test.cc) once per seed, each seed in a
# process of its own, and keeps going after a failure. Every seed draws a
# schedule of instance joins, clean stops, SIGKILLs with restarts on the same
# or an empty state dir, pauses past the session timeout and broker outages,
# then compares the topics' outputs with `callflow replay`. About a minute
# per seed on 2 cores.
#
# Usage: ops/soak.sh [first-seed] [seeds]
#   first-seed  default 1
#   seeds       default 20
# Logs go to build/soak/seed-<n>.log; the summary (one line per seed) to
# build/soak/summary.txt. Exits non-zero when any seed failed, naming them;
# a failing seed is run again with
#   CALLFLOW_SOAK_SEED=<n> build/tests/processor/pipeline/callflow_chaos_soak_test
# Needs a build (ops/build.sh).
set -euo pipefail

FIRST="${1:-1}"
COUNT="${2:-20}"
if ! [[ "$FIRST" =~ ^[0-9]+$ && "$COUNT" =~ ^[0-9]+$ ]] || ((COUNT < 1)); then
  echo "usage: $0 [first-seed] [seeds]" >&2
  exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEST="$ROOT/build/tests/processor/pipeline/callflow_chaos_soak_test"
if [[ ! -x "$TEST" ]]; then
  echo "soak: $TEST not found; build first with ops/build.sh" >&2
  exit 1
fi
LOGS="$ROOT/build/soak"
mkdir -p "$LOGS"
: >"$LOGS/summary.txt"

failed=()
for ((seed = FIRST; seed < FIRST + COUNT; ++seed)); do
  start=$SECONDS
  if CALLFLOW_SOAK_SEED="$seed" timeout 600 "$TEST" >"$LOGS/seed-$seed.log" 2>&1; then
    result=passed
  else
    result=FAILED
    failed+=("$seed")
  fi
  line="seed $seed: $result in $((SECONDS - start))s ($LOGS/seed-$seed.log)"
  echo "$line" | tee -a "$LOGS/summary.txt"
done

if ((${#failed[@]} > 0)); then
  echo "soak: ${#failed[@]} of $COUNT seeds failed: ${failed[*]}" >&2
  exit 1
fi
echo "soak: all $COUNT seeds passed"
