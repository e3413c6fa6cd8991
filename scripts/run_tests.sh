#!/usr/bin/env bash
# One command from a fresh machine to every test: installs dependencies, checks formatting, builds
# Release (with the CUDA code where nvcc exists) and runs all tests, then builds and runs the tests
# under AddressSanitizer + UndefinedBehaviorSanitizer. Non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/check_format.sh
bash scripts/build.sh release
ctest --test-dir build --output-on-failure -j "${PTSIM_JOBS:-$(nproc)}"
bash scripts/build.sh asan
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "${PTSIM_JOBS:-$(nproc)}"
echo "run_tests: all passed"
