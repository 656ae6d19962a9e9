#!/usr/bin/env bash
# Idempotent setup: installs the Debian 12 packages ahat needs (only those missing), then
# configures into ./build with Ninja and builds the `ahat` command (what the main job needs);
# AHAT_TARGET=all builds everything (the tests too), as `ninja -C build` does afterwards.
# Usage: [AHAT_TARGET=all] bash scripts/setup.sh [BUILD_DIR] [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${1:-build}"
shift || true

PACKAGES=(g++ cmake ninja-build libboost-dev libgmp-dev libfmt-dev libcli11-dev catch2 nlohmann-json3-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

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
