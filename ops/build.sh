#!/usr/bin/env bash
# Configures and builds callflow in build/ with Ninja.
# Usage: ops/build.sh [Release|Debug]   (default Release)
# JOBS overrides the parallelism (default: nproc, at most 2 on 2-core hosts).
set -euo pipefail

BUILD_TYPE="${1:-Release}"
case "$BUILD_TYPE" in
  Release | Debug | RelWithDebInfo) ;;
  *)
    echo "usage: $0 [Release|Debug]" >&2
    exit 2
    ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build"
JOBS="${JOBS:-$(nproc)}"

echo "build: configuring $BUILD_TYPE in $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
echo "build: building with -j$JOBS"
cmake --build "$BUILD_DIR" -j "$JOBS"
echo "build: done; binary at $BUILD_DIR/processor/app/callflow"
