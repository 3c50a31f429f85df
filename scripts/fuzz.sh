#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/ and runs each for a while.
# Usage: scripts/fuzz.sh [seconds per target, default 60] [target...]
# Seeds: tests/fuzz/corpus/<target>/ (committed), plus pydicom's DICOM files for fuzz_dicom. New
# inputs go to build-fuzz/corpus/<target>/; a crash, or more than 512 MB resident for one input
# (-rss_limit_mb=512), leaves build-fuzz/crash-* or oom-* and fails the script.
# Turn each crash into a regression test in tests/reliability/ before fixing it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_json fuzz_safetensors fuzz_rsna_labels fuzz_cq500_reads
  fuzz_dicom fuzz_jpeg2000 fuzz_png fuzz_config)
build_dir="$root/build-fuzz"

"$root/scripts/install-deps.sh" clang-14 libclang-rt-14-dev
mkdir -p "$build_dir"
cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DIHD_FUZZ=ON \
  -DIHD_TESTS=OFF -DIHD_BENCH=OFF -DIHD_CUDA=OFF > "$build_dir.configure.log" 2>&1 ||
  { cat "$build_dir.configure.log"; exit 1; }
cmake --build "$build_dir" -j "$(nproc)" --target ihd_fuzz_targets

pydicom_files=/usr/lib/python3/dist-packages/pydicom/data/test_files
failed=()
for target in "${targets[@]}"; do
  corpus="$build_dir/corpus/$target"
  mkdir -p "$corpus"
  seeds=("$root/tests/fuzz/corpus/$target")
  if [ "$target" = fuzz_dicom ] && [ -d "$pydicom_files" ]; then
    mkdir -p "$build_dir/seeds/pydicom"
    cp "$pydicom_files"/{CT_small,MR_small_RLE,MR_small_jpeg_ls_lossless,MR_small_jp2klossless}.dcm \
      "$pydicom_files"/{image_dfl,rtplan}.dcm "$build_dir/seeds/pydicom/"
    seeds+=("$build_dir/seeds/pydicom")
  fi
  echo "== $target: ${seconds} s"
  # A small quarantine: ASan's default (256 MB) alone would fill most of the 512 MB limit.
  if ! (cd "$build_dir" && ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16 "./tests/fuzz/$target" \
          -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=512 -print_final_stats=1 \
          "$corpus" "${seeds[@]}" 2>&1 | tail -n 25); then
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes in ${failed[*]} (inputs in $build_dir/crash-*)"
  exit 1
fi
echo "fuzz.sh: no crash in ${targets[*]}"
