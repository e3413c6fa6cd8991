#!/usr/bin/env bash
# Installs the Debian 12 packages ptsim builds with. Idempotent: installs only what is missing.
# The CUDA toolkit and NCCL are not installed here; where /usr/local/cuda exists the GPU code builds.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache clang-format git
  libboost-graph-dev nlohmann-json3-dev libfmt-dev libeigen3-dev libcli11-dev
  libgtest-dev libgmock-dev
  libopenmpi-dev openmpi-bin
  # The SVG rendering test: Chromium draws the chart (in DejaVu Sans), zlib decodes the PNG.
  zlib1g-dev chromium fonts-dejavu-core
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
