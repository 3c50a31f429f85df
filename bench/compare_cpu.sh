#!/usr/bin/env bash
# Builds bench_train_cpu, then runs it and bench/pytorch_cpu_reference.py (Debian's python3-torch)
# on the same shapes and thread counts, alternating the two, and prints both sides and the ratios
# ours / PyTorch (training and inference images/s: above 1 is faster; peak RSS: below 1 is
# smaller). With REPEATS > 1 each side keeps its best speeds (which filters out the noise of a
# shared machine) and its highest peak RSS.
# Usage: bench/compare_cpu.sh [THREADS...]   (default: 1 2)
# Environment: BUILD_DIR (build-cpu), IMAGE_SIZE (180), BATCH (16), REPEATS (1).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build-cpu}
image_size=${IMAGE_SIZE:-180}
batch=${BATCH:-16}
repeats=${REPEATS:-1}
thread_counts=("$@")
((${#thread_counts[@]})) || thread_counts=(1 2)

cmake -S "$repo" -B "$build_dir" -G Ninja -DIHD_CUDA=OFF -DIHD_DATA=OFF >/dev/null
cmake --build "$build_dir" -j2 --target bench_train_cpu >/dev/null

# field NAME LINE: the value of NAME=value in LINE.
field() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<"$2"; }
# highest A B: the larger of two numbers (empty counts as 0).
highest() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (a > b ? a : b) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) cores;" \
     "load average: $(cut -d' ' -f1-3 /proc/loadavg);" \
     "commit $(git -C "$repo" rev-parse --short HEAD)"
for threads in "${thread_counts[@]}"; do
  ours_train=0 ours_infer=0 ours_rss=0 torch_train=0 torch_infer=0 torch_rss=0
  for ((run = 1; run <= repeats; ++run)); do
    ours=$("$build_dir/bench/bench_train_cpu" "$threads" "$image_size" "$batch")
    echo "$ours"
    ours_train=$(highest "$ours_train" "$(field train_images_per_s "$ours")")
    ours_infer=$(highest "$ours_infer" "$(field infer_images_per_s "$ours")")
    ours_rss=$(highest "$ours_rss" "$(field peak_rss_mib "$ours")")
    torch_lines=$(/usr/bin/python3 "$repo/bench/pytorch_cpu_reference.py" "$threads" \
                  "$image_size" "$batch")
    echo "$torch_lines"
    torch=$(grep '^pytorch best' <<<"$torch_lines")
    torch_train=$(highest "$torch_train" "$(field train_images_per_s "$torch")")
    torch_infer=$(highest "$torch_infer" "$(field infer_images_per_s "$torch")")
    torch_rss=$(highest "$torch_rss" "$(field peak_rss_mib "$torch")")
  done
  echo "threads=$threads" \
       "train: ihd $ours_train pytorch $torch_train ratio $(ratio "$ours_train" "$torch_train")" \
       "| infer: ihd $ours_infer pytorch $torch_infer ratio $(ratio "$ours_infer" "$torch_infer")" \
       "| peak RSS MiB: ihd $ours_rss pytorch $torch_rss ratio $(ratio "$ours_rss" "$torch_rss")"
done
