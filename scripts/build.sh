#!/usr/bin/env bash
# Configures and builds one flavour: `release` (build/) or `asan` (build-asan/, tests only,
# AddressSanitizer + UndefinedBehaviorSanitizer, no CUDA). Extra arguments go to CMake.
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-release}"
shift || true
if [ -d /usr/local/cuda/bin ]; then export PATH="/usr/local/cuda/bin:$PATH"; fi
export CCACHE_DIR="${CCACHE_DIR:-$PWD/.cache/ccache}"
jobs="${PTSIM_JOBS:-$(nproc)}"
case "$flavour" in
  release)
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
    cmake --build build -j "$jobs" ;;
  asan)
    # -g1: function names and line tables, all a sanitizer report needs; full -g made this build
    # about 40 % slower to compile.
    cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DPTSIM_SANITIZE=ON \
      -DPTSIM_WITH_CUDA=OFF -DCMAKE_CXX_FLAGS="-O1" -DCMAKE_CXX_FLAGS_DEBUG="-g1" "$@"
    cmake --build build-asan -j "$jobs" ;;
  *)
    echo "usage: scripts/build.sh [release|asan] [cmake args...]" >&2; exit 2 ;;
esac
