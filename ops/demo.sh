#!/usr/bin/env bash
# Installs dependencies, builds Release and runs `callflow demo`: an
# in-process Kafka cluster (librdkafka mock), the traffic simulator, a
# simulated dialer working the callback tasks, the processor and the metrics
# endpoint (http://localhost:9464/metrics), ending with the KPI report.
# Arguments pass through, e.g. `ops/demo.sh --duration 60s --serve`
# (see `build/processor/app/callflow demo --help`).
# For the deterministic file mode instead: `callflow simulate` then
# `callflow replay` (README).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

"$ROOT/ops/install-deps.sh"
"$ROOT/ops/build.sh" Release
exec "$ROOT/build/processor/app/callflow" demo "$@"
