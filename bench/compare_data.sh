#!/usr/bin/env bash
# The data path beside its Python peer, on one core and the same files: bench_data's
# BM_DicomToTrainingImage (DICOM -> HU -> three windows -> area resize to 180 -> 8 bits) and
# BM_DicomDecodeOnly (the DCMTK read and the HU alone), then bench/pydicom_data_reference.py
# (pydicom + numpy + OpenCV, in ihd's order and in the faster resize-first order), alternating
# the two sides REPEATS times; prints each run and the medians, and ours / theirs.
# Usage: bench/compare_data.sh   Environment: BUILD_DIR (build-data), REPEATS (3).
# Needs Debian's python3-pydicom and python3-opencv (scripts/install-deps.sh python3-opencv).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build-data}
repeats=${REPEATS:-3}

cmake -S "$repo" -B "$build_dir" -G Ninja -DIHD_CUDA=OFF -DIHD_TESTS=OFF >/dev/null
cmake --build "$build_dir" -j2 --target bench_data >/dev/null
# The synthetic files bench_data writes on its first run (the system temporary folder).
files=${TMPDIR:-/tmp}/ihd_bench_data/stage_2_train

# field NAME LINE: the value of NAME=value in LINE.
field() { sed -n "s/.*$1=\([^[:space:]]*\).*/\1/p" <<<"$2"; }
median() { tr ' ' '\n' <<<"$*" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# rate NAME: bench_data's images per second for benchmark NAME (wall clock, 2 s of runs).
rate() {
  "$build_dir/bench/bench_data" --benchmark_filter="^$1/" --benchmark_min_time=2 \
    --benchmark_format=csv 2>/dev/null | awk -F, -v name="\"$1/real_time\"" \
    '$1 == name { for (i = 1; i <= NF; ++i) if ($i ~ /^[0-9.e+]+$/) last = $i; print last }'
}

echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores;" \
     "load average: $(cut -d' ' -f1-3 /proc/loadavg); commit $(git -C "$repo" rev-parse --short HEAD)"
rate BM_DicomDecodeOnly >/dev/null  # writes the files on a first run
ours=() decode=() window_first=() resize_first=()
for ((run = 1; run <= repeats; ++run)); do
  ours+=("$(rate BM_DicomToTrainingImage)")
  decode+=("$(rate BM_DicomDecodeOnly)")
  peer=$(/usr/bin/python3 "$repo/bench/pydicom_data_reference.py" "$files" 180 3)
  window_first+=("$(field window_first_images_per_s "$peer")")
  resize_first+=("$(field resize_first_images_per_s "$peer")")
  echo "run $run: ihd ${ours[-1]} img/s (decode alone ${decode[-1]}) | $peer"
done
ihd=$(median "${ours[@]}")
first=$(median "${window_first[@]}")
resized=$(median "${resize_first[@]}")
echo "medians of $repeats: ihd $ihd img/s (DCMTK read + HU alone $(median "${decode[@]}"))" \
     "| pydicom window-first $first (ratio $(ratio "$ihd" "$first"))" \
     "| pydicom resize-first $resized (ratio $(ratio "$ihd" "$resized"))"
