#!/usr/bin/env bash
# The one GPU check of the CUDA backend (issue 6), for a machine with an NVIDIA GPU (H100/H200),
# nvcc, cmake, ninja and PyTorch, but none of Debian's packages: builds for sm_90, runs the
# CPU-versus-CUDA tests and the CUDA benchmarks, runs the PyTorch reference on the same card, and
# prints a short table last. Each stage has a time limit, cut to what is left before a deadline
# 460 s after the start, so the whole run stays under 8 minutes whatever a stage takes. Stages
# run in order of importance, and the PyTorch reference keeps 60 s for itself: tests; ResNet-50
# training in bf16; the op benchmarks (bench_ops: every op at ResNet-50's layer shapes, forward
# then training, bf16 then fp32); the batch-norm kernel lab; training in tf32 and fp32; PyTorch
# (eager fp32 and bf16 autocast, torch.compile only with 200 s left). Each benchmark run writes its own JSON file, so that a run cut off by
# its limit loses only itself.
#
# Needs .deps/ (doctest, Google Benchmark, OpenBLAS, and ihd_train packed with its libraries),
# made here by scripts/prepare-device-deps.sh and carried along (device tool: carry [".deps"]).
# Right after the tests, ihd_train trains ResNet-50 on a synthetic set on the GPU, in bf16 and in
# fp32 (3 epochs at 128 x 128), end to end: the issue's "ihd_train --device cuda trains"; then
# once more with --data-parallel, gradients summed by a one-rank NCCL communicator (issue 14).
# cuDNN, NCCL (and cuBLAS, if the toolkit lacks it) may exist only as Python wheels
# (site-packages/nvidia/...): the script finds them there.
# Logs and JSON go to build-device/logs, and, packed into one device-check-logs.tar.gz, to $OUT
# (the device tool's output folder, which brings back a few files only).
# Usage: scripts/device-check.sh          (from anywhere; environment: CUDNN_ROOT, IHD_DEPS_ROOT)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=$root/build-device
logs=$build/logs
deps=${IHD_DEPS_ROOT:-$root/.deps}
rm -rf "$logs"
mkdir -p "$build" "$logs"
started=$(date +%s)
deadline=460  # seconds after the start by which every stage has ended
pytorch_reserve=60  # seconds before the deadline that only the PyTorch reference may use
elapsed() { echo $(($(date +%s) - started)); }
section() { echo "=== $* (t = $(elapsed) s)"; }
# stage_limit LIMIT [RESERVE]: LIMIT seconds, cut to what is left before the deadline less RESERVE.
stage_limit() {
  local left=$((deadline - $(elapsed) - ${2:-0}))
  echo $((left < $1 ? left : $1))
}
# run_stage NAME LIMIT RESERVE COMMAND...: runs COMMAND under its stage limit, if 10 s are left
# (a skipped stage says so on the script's own output, fd 3, whatever COMMAND's output goes to).
exec 3>&1
run_stage() {
  local name=$1 limit
  limit=$(stage_limit "$2" "$3")
  shift 3
  if [ "$limit" -lt 10 ]; then
    echo "device-check: no time left for $name" >&3
    return 1
  fi
  timeout "$limit" "$@"
}
python=$(command -v python3 || true)

section "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "no nvidia-smi"
nvcc=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
[ -n "$nvcc" ] || { echo "device-check: no nvcc found"; exit 1; }
cuda_home=$(dirname "$(dirname "$(readlink -f "$nvcc")")")
echo "nvcc: $nvcc ($("$nvcc" --version | tail -1)); CUDA home $cuda_home"
[ -d "$deps/include/doctest" ] || { echo "device-check: $deps is missing: run scripts/prepare-device-deps.sh here and carry .deps"; exit 1; }

# Folders of the Python environment's site-packages, where NVIDIA's wheels put their files.
site_packages=()
if [ -n "$python" ]; then
  mapfile -t site_packages < <("$python" -c 'import site; [print(p) for p in site.getsitepackages()]' 2>/dev/null)
fi
# find_in_wheels NAME: the first file called NAME (a glob) under site-packages/nvidia.
find_in_wheels() {
  local folder
  for folder in "${site_packages[@]}"; do
    [ -d "$folder/nvidia" ] && find "$folder/nvidia" -name "$1" 2>/dev/null | sort | head -1
  done | head -1
}

cmake_args=()
runtime_paths="$deps/lib:$deps/lib/x86_64-linux-gnu"
shim=$build/shim-lib  # unversioned names (libX.so) for libraries that wheels ship as libX.so.N
mkdir -p "$shim"

section "cuDNN and cuBLAS"
cudnn_header=""
for candidate in ${CUDNN_ROOT:+"$CUDNN_ROOT/include/cudnn.h"} "$cuda_home/include/cudnn.h" /usr/include/cudnn.h; do
  [ -f "$candidate" ] && { cudnn_header=$candidate; break; }
done
[ -n "$cudnn_header" ] || cudnn_header=$(find_in_wheels cudnn.h)
[ -n "$cudnn_header" ] || { echo "device-check: cudnn.h not found (set CUDNN_ROOT)"; exit 1; }
cudnn_root=$(dirname "$(dirname "$cudnn_header")")
cudnn_library=$(ls "$cudnn_root"/lib*/libcudnn.so "$cudnn_root"/lib*/libcudnn.so.[0-9]* \
  "$cuda_home"/lib64/libcudnn.so 2>/dev/null | head -1)
[ -n "$cudnn_library" ] || { echo "device-check: libcudnn.so not found beside $cudnn_header"; exit 1; }
echo "cuDNN: $cudnn_header, $cudnn_library"
export CUDNN_ROOT=$cudnn_root
cmake_args+=("-DIHD_CUDNN_INCLUDE=$(dirname "$cudnn_header")" "-DIHD_CUDNN_LIBRARY=$cudnn_library")
runtime_paths="$runtime_paths:$(dirname "$cudnn_library")"

if ! ls "$cuda_home"/lib64/libcublas.so "$cuda_home"/targets/*/lib/libcublas.so >/dev/null 2>&1; then
  for name in cublas cublasLt; do
    versioned=$(find_in_wheels "lib$name.so.[0-9]*")
    [ -n "$versioned" ] || { echo "device-check: lib$name not found"; exit 1; }
    ln -sf "$versioned" "$shim/lib$name.so"
    cmake_args+=("-DCUDA_${name}_LIBRARY=$shim/lib$name.so")
    runtime_paths="$runtime_paths:$(dirname "$versioned")"
    echo "cuBLAS from a wheel: $versioned"
  done
fi
export LD_LIBRARY_PATH="$runtime_paths${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

section "configure and build (sm_90)"
if ! cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIHD_CUDA=ON \
  -DIHD_DATA=OFF -DIHD_ONEDNN=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_CUDA_COMPILER="$nvcc" \
  -DIHD_DEPS_ROOT="$deps" -Ddoctest_DIR="$deps/lib/cmake/doctest" \
  -Dbenchmark_DIR="$deps/lib/x86_64-linux-gnu/cmake/benchmark" "${cmake_args[@]}" \
  > "$logs/configure.log" 2>&1; then
  tail -30 "$logs/configure.log"
  echo "device-check: configure failed"
  exit 1
fi
if ! run_stage build 240 "$pytorch_reserve" cmake --build "$build" -j "$(nproc)" --target \
  ihd_op_backend_tests ihd_cuda_tests bench_ops bench_train_cuda batch_norm_lab \
  > "$logs/build.log" 2>&1; then
  grep -E "error|Error" "$logs/build.log" | head -30
  echo "device-check: build failed"
  exit 1
fi

section "CPU-versus-CUDA tests"
# The op cases first (every op, float32 and bfloat16), then the training steps and the rest.
run_stage "op cases" 80 "$pytorch_reserve" "$build/tests/ops/ihd_op_backend_tests" 2>&1 \
  | tee "$logs/op_backend_tests.log" | grep -E "ERROR|FAILED|SKIPPED|test cases"
run_stage tests 100 "$pytorch_reserve" "$build/tests/cuda/ihd_cuda_tests" 2>&1 \
  | tee "$logs/cuda_tests.log" | grep -E "ERROR|FAILED|SKIPPED|test cases"

section "ihd_train on the GPU (synthetic head CT, ResNet-50, bf16 and fp32)"
if [ -f "$deps/ihd_train.tar.xz" ]; then
  app=$build/app
  rm -rf "$app" "$build/app-runs"
  mkdir -p "$app"
  tar -C "$app" -xJf "$deps/ihd_train.tar.xz"
  # Its libraries, then the toolkit's CUDA runtime (or a wheel's), then cuDNN and cuBLAS as above.
  app_paths="$app/ihd_train/lib"
  for folder in "$cuda_home/lib64" "$cuda_home/lib" "$cuda_home"/targets/*/lib; do
    [ -d "$folder" ] && app_paths="$app_paths:$folder"
  done
  cudart=$(find_in_wheels "libcudart.so.13*")
  [ -n "$cudart" ] && app_paths="$app_paths:$(dirname "$cudart")"
  # NCCL (218 MB, too big to carry): the toolkit's (in the folders above) or a wheel's.
  if ! ls "$cuda_home"/lib*/libnccl.so.2 "$cuda_home"/targets/*/lib/libnccl.so.2 >/dev/null 2>&1; then
    nccl=$(find_in_wheels "libnccl.so.2*")
    [ -n "$nccl" ] && app_paths="$app_paths:$(dirname "$nccl")"
  fi
  for precision in bf16 fp32; do
    LD_LIBRARY_PATH="$app_paths:$LD_LIBRARY_PATH" run_stage "ihd_train ($precision)" 75 \
      "$pytorch_reserve" "$app/ihd_train/ihd_train" --device cuda --precision "$precision" \
      --arch resnet50 --image-size 128 --batch 64 --epochs 3 --synth-patients 200 \
      --synth-slices 4 --workers 8 --select auc --data-cache "$build/app-data" \
      --out "$build/app-runs/$precision" > "$logs/ihd_train_$precision.log" 2>&1
    echo "ihd_train --device cuda --precision $precision: exit $?"
    grep -E "^training|^epoch|best epoch" "$logs/ihd_train_$precision.log" | tail -5
  done
  # The data-parallel path on one rank: gradients in buckets summed by a one-rank NCCL
  # communicator on its own stream (issue 14); without mpirun, through --data-parallel.
  LD_LIBRARY_PATH="$app_paths:$LD_LIBRARY_PATH" run_stage "ihd_train (NCCL)" 60 \
    "$pytorch_reserve" "$app/ihd_train/ihd_train" --device cuda --precision bf16 --data-parallel \
    --arch resnet50 --image-size 128 --batch 64 --epochs 2 --synth-patients 200 \
    --synth-slices 4 --workers 8 --select auc --data-cache "$build/app-data" \
    --out "$build/app-runs/nccl" > "$logs/ihd_train_nccl.log" 2>&1
  echo "ihd_train --device cuda --data-parallel (one-rank NCCL): exit $?"
  grep -E "^data parallel|^epoch|best epoch|NCCL|nccl" "$logs/ihd_train_nccl.log" | tail -5
else
  echo "device-check: $deps/ihd_train.tar.xz is missing (scripts/prepare-device-deps.sh makes it)"
fi

# train_run PRECISION: training images/s in one precision (bench_train_cuda_<precision>.json).
train_run() {
  run_stage "training ($1)" 90 "$pytorch_reserve" "$build/bench/bench_train_cuda" \
    --benchmark_filter="_${1}_" --benchmark_out="$logs/bench_train_cuda_$1.json" \
    --benchmark_out_format=json 2>&1 | tee "$logs/bench_train_cuda_$1.log"
}

section "ResNet-50 training benchmark (ihd, bf16)"
train_run bf16

section "op benchmarks (bench_ops on CUDA)"
# name, filter, time limit: one run and one JSON file (bench_ops_<name>.json) each.
for run in "bf16_forward ^cuda/bf16/forward/ 35" "bf16_training ^cuda/bf16/training/ 40" \
  "fp32_forward ^cuda/fp32/forward/ 30" "fp32_training ^cuda/fp32/training/ 35"; do
  read -r name filter limit <<< "$run"
  run_stage "$name benchmarks" "$limit" "$pytorch_reserve" "$build/bench/bench_ops" \
    --benchmark_filter="$filter" --benchmark_min_time=0.02 \
    --benchmark_out="$logs/bench_ops_$name.json" --benchmark_out_format=json \
    > "$logs/bench_ops_$name.log" 2>&1
  echo "$name: exit $?"
done

section "batch-norm kernel lab (bench/kernel_lab/batch_norm_lab.cu)"
run_stage "batch-norm lab" 40 "$pytorch_reserve" "$build/bench/batch_norm_lab" 2>&1 \
  | tee "$logs/batch_norm_lab.log" | tail -16

section "ResNet-50 training benchmark (ihd, tf32 and fp32)"
train_run tf32
train_run fp32

section "ResNet-50 training benchmark (PyTorch)"
remaining=$(stage_limit 600)
compile_flag=--no-compile
[ "$remaining" -gt 200 ] && compile_flag=""
if [ "$remaining" -gt 30 ]; then
  PYTHONUNBUFFERED=1 timeout "$remaining" "$python" "$root/bench/pytorch_cuda_reference.py" \
    --steps 8 $compile_flag 2>&1 | tee "$logs/pytorch_reference.log"
else
  echo "no time left for the PyTorch reference"
fi

section "summary"
"$python" "$root/scripts/device_check_summary.py" "$logs"
if [ -n "${OUT:-}" ]; then
  tar -C "$build" -czf "$OUT/device-check-logs.tar.gz" logs && echo "logs: \$OUT/device-check-logs.tar.gz"
fi
echo "device-check: done in $(elapsed) s"
