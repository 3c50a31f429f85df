#!/usr/bin/env bash
# Installs what is missing, builds ihd with its tests, and runs every test with ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# PyTorch (Debian's) makes the full-size ResNet parity tests against torchvision run too, and the
# test of scripts/ihd_to_torch.py against ihd_predict; Chromium renders the report pages for their
# screenshot test; GDCM's gdcmconv compresses and decodes the DICOM files the codec tests compare;
# DCMTK's tools (storescu, echoscu, dsr2html), dicom3tools' dciodvfy and openssl are the peers and
# validators of the DICOM results and of the triage node ihd_serve.
"$root/scripts/install-deps.sh" python3-torch python3-torchvision chromium libgdcm-tools dcmtk \
  dicom3tools openssl
"$root/scripts/build.sh" "$root/build" -DIHD_TESTS=ON
cd "$root/build"
ctest --output-on-failure -j "$(nproc)" --timeout 1200
# Then the suite again under ASan (with LeakSanitizer) and UBSan, CPU only, without the long tests.
"$root/scripts/sanitize-test.sh"
