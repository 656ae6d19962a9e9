#!/usr/bin/env bash
# Idempotent setup: installs the Debian 12 packages ahat needs (only those missing), then
# configures into ./build with Ninja and builds the `ahat` command (what the main job needs);
# AHAT_TARGET=all builds everything (the tests too), as `ninja -C build` does afterwards.
# Usage: [AHAT_TARGET=all] bash scripts/setup.sh [BUILD_DIR] [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"
shift || true

. scripts/packages.sh
ensure_packages setup g++ cmake ninja-build libboost-dev libgmp-dev libfmt-dev libcli11-dev catch2 nlohmann-json3-dev openmpi-bin libopenmpi-dev

# Python tools (benchmark peers such as PyTorch, notebook execution) are optional and never
# needed by the C++ build or the tests: AHAT_PYTHON=1 installs the pinned requirements.txt.
if [ "${AHAT_PYTHON:-0}" = "1" ] && [ -f requirements.txt ]; then
  echo "setup: installing the pinned Python tools of requirements.txt" >&2
  python3 -m pip install -q -r requirements.txt
fi

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${AHAT_BUILD_TYPE:-Release}" "$@" >/dev/null
if [ "${AHAT_TARGET:-ahat}" = "all" ]; then
  ninja -C "$BUILD_DIR"
else
  ninja -C "$BUILD_DIR" "${AHAT_TARGET:-ahat}"
fi
