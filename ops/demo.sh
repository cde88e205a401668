#!/usr/bin/env bash
# Installs dependencies, builds Release and shows callflow at work: simulated
# call-center traffic through the rules, ending with the KPI report.
# CALLS, SEED and OUT override the defaults below.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CALLS="${CALLS:-20000}"
SEED="${SEED:-1}"
OUT="${OUT:-$ROOT/build/demo}"
CALLFLOW="$ROOT/build/processor/app/callflow"

"$ROOT/ops/install-deps.sh"
"$ROOT/ops/build.sh" Release

# The demo: file mode (simulate -> replay). To run the Kafka demo instead
# (in-process mock cluster, live progress, metrics), replace the
# run_file_demo line at the bottom with:   exec "$CALLFLOW" demo "$@"
run_file_demo() {
  mkdir -p "$OUT"
  echo "demo: simulating $CALLS calls (seed $SEED) into $OUT/events.jsonl"
  "$CALLFLOW" simulate --out "$OUT/events.jsonl" --calls "$CALLS" --seed "$SEED"
  echo "demo: replaying through the rules into $OUT/"
  "$CALLFLOW" replay --input "$OUT/events.jsonl" --out "$OUT" "$@"
  echo "demo: outputs in $OUT (tasks.jsonl, alerts.jsonl, contacts.jsonl, dlq.jsonl, summary.json)"
}

exec "$CALLFLOW" demo "$@"
