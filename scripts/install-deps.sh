#!/usr/bin/env bash
# Installs the Debian packages that building and testing ihd need, only those that are missing.
# Usage: scripts/install-deps.sh [extra-package...]
set -euo pipefail
# python3-pydicom ships the real DICOM files the data tests read; libcairo2-dev draws the reports'
# figures; libopenjp2-7-dev decodes JPEG 2000 DICOM; OpenMPI launches and connects the ranks of data-parallel training (mpirun -np N
# ihd_train). `scripts/install-deps.sh chromium` adds the browser the report screenshot test uses.
packages=(cmake ninja-build g++ pkg-config doctest-dev libbenchmark-dev libdcmtk-dev libstb-dev
          libopenblas-dev libdnnl-dev libcairo2-dev libopenjp2-7-dev python3-pydicom openmpi-bin
          libopenmpi-dev "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi
