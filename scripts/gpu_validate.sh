#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: the GPU tests, a quick calibration of the GPU, and the reference
# executor running depth-reduced llama3-8b against the simulator with the calibrated profile.
# What it prints is what calibration/measured/h100-2026-11-24/README.md records for one H100.
#
#   scripts/gpu_validate.sh [BUILD_DIR] [OUT_DIR]     (defaults: build, out/gpu)
#
# BUILD_DIR must have been configured with CUDA (nvcc on PATH); an existing calibration in OUT_DIR
# is resumed, never overwritten.
set -euo pipefail
build=${1:-build}
out=${2:-out/gpu}
bin=$build/bin
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu \
  --format=csv
"$bin/test_calibration" --gtest_filter='Gpu*:*MeasuredH100*'
if [ ! -f "$out/gpu.json" ]; then
  "$bin/calibrate" --quick --max-bytes 1G --out "$out/gpu.json"
fi
for layout in "--layers 4 --seq-len 8192 --micro-batch 1 --global-batch 4" \
              "--layers 4 --seq-len 4096 --micro-batch 2 --global-batch 8" \
              "--layers 8 --seq-len 2048 --micro-batch 4 --global-batch 8"; do
  # shellcheck disable=SC2086  # the layout is a list of flags
  "$bin/execute" --model 8b --gpus 1 $layout --cluster "$out/gpu.json" --steps 7
done
