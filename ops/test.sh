#!/usr/bin/env bash
# Installs dependencies, builds Release and runs every test with ctest.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JOBS="${JOBS:-2}"

"$ROOT/ops/install-deps.sh"
"$ROOT/ops/build.sh" Release
echo "test: ctest -j$JOBS"
ctest --test-dir "$ROOT/build" --output-on-failure -j "$JOBS" --timeout 600
echo "test: all tests passed"
