#!/usr/bin/env bash
# One command from a fresh machine to a plan: installs dependencies, builds (Release) and runs
# `planner --model 70b --gpus 512`. Arguments, if any, replace the planner's.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh release
if (($# > 0)); then
  exec build/bin/planner "$@"
else
  exec build/bin/planner --model 70b --gpus 512
fi
