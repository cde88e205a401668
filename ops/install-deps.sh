#!/usr/bin/env bash
# Installs the Debian 12 packages callflow builds, tests and runs with.
# Idempotent: asks dpkg first and runs apt-get only when something is missing.
# Needs root (or sudo) only when it has to install.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config g++
  librdkafka-dev libprotobuf-dev protobuf-compiler librocksdb-dev
  prometheus-cpp-dev prometheus libphonenumber-dev libatomic-queue-dev
  libboost-dev libabsl-dev libtomlplusplus-dev libcli11-dev libspdlog-dev
  libfmt-dev libhowardhinnant-date-dev tzdata kcat libbenchmark-dev
  libgtest-dev libgmock-dev googletest git curl procps
  clang libclang-rt-14-dev  # ops/fuzz.sh: libFuzzer and the sanitizers
  llvm-14  # llvm-symbolizer: readable sanitizer stack traces
  clang-format  # ops/check-format.sh
  libjemalloc-dev  # the executables' malloc (cmake -DCALLFLOW_ALLOCATOR)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing package(s): ${missing[*]}"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: not root and no sudo; install as root: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: apt-get update"
"${SUDO[@]}" apt-get update -q
echo "install-deps: apt-get install"
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
