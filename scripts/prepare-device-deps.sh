#!/usr/bin/env bash
# Fills .deps/ (git-ignored) with the few third-party files that the GPU machine lacks, copied
# from this machine's Debian packages, so that scripts/device-check.sh can build there with
# -DIHD_DEPS_ROOT=.deps. Carry it with the device tool: carry [".deps"]. About 40 MB:
#   include/doctest, lib/cmake/doctest            doctest-dev (header-only, CMake package)
#   include/benchmark, lib/x86_64-linux-gnu/...   libbenchmark-dev (.so, libbenchmark_main.a, CMake
#                                                 package; Debian ships no static libbenchmark.a)
#   include/cblas.h ..., lib/libopenblas.so*      libopenblas0-pthread (+ libgfortran, libquadmath)
#   ihd_train.tar.xz                              ihd_train itself, built here (see below)
# ihd_train needs the data layer, and so DCMTK, which the GPU machine lacks: it is built here for
# sm_90 (CUDA on, data layer on, without oneDNN or -march=native) and packed with the shared
# libraries it needs beyond the C and C++ runtimes, the CUDA driver, cuDNN, cuBLAS and NCCL (which
# the device check finds there), about 15 MB compressed; the device check unpacks and runs it.
# Usage: scripts/prepare-device-deps.sh [DEPS_DIR]   (default: .deps in the repository root)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
deps=${1:-$root/.deps}
multiarch=x86_64-linux-gnu
system_lib=/usr/lib/$multiarch

rm -rf "$deps"
mkdir -p "$deps/include" "$deps/lib/cmake" "$deps/lib/$multiarch/cmake"

# doctest: header and CMake package (its targets file finds the prefix three levels up).
cp -r /usr/include/doctest "$deps/include/"
cp -r /usr/lib/cmake/doctest "$deps/lib/cmake/"

# Google Benchmark: headers, shared library and CMake package (prefix four levels up, so the
# package keeps Debian's lib/x86_64-linux-gnu layout).
cp -r /usr/include/benchmark "$deps/include/"
cp -r "$system_lib/cmake/benchmark" "$deps/lib/$multiarch/cmake/"
benchmark_library=$(readlink -f "$system_lib/libbenchmark.so")
cp "$benchmark_library" "$deps/lib/$multiarch/"
(cd "$deps/lib/$multiarch" && ln -sf "$(basename "$benchmark_library")" libbenchmark.so &&
  ln -sf "$(basename "$benchmark_library")" libbenchmark.so.1debian)
cp "$system_lib/libbenchmark_main.a" "$deps/lib/$multiarch/"

# OpenBLAS (pthread flavour) and the Fortran runtime it needs; cblas.h and its companions.
cp "$(readlink -f "$system_lib/libopenblas.so.0")" "$deps/lib/libopenblas.so.0"
ln -sf libopenblas.so.0 "$deps/lib/libopenblas.so"
cp "$(readlink -f "$system_lib/libgfortran.so.5")" "$deps/lib/libgfortran.so.5"
cp "$(readlink -f "$system_lib/libquadmath.so.0")" "$deps/lib/libquadmath.so.0"
cp /usr/include/$multiarch/openblas-pthread/{cblas.h,openblas_config.h,f77blas.h} "$deps/include/"

# ihd_train for the GPU machine, with its libraries.
app_build=$root/build-device-app
cmake -S "$root" -B "$app_build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DIHD_CUDA=ON -DIHD_DATA=ON \
  -DIHD_ONEDNN=OFF -DIHD_NATIVE=OFF -DIHD_TESTS=OFF -DIHD_BENCH=OFF \
  -DCMAKE_CUDA_ARCHITECTURES=90 > "$app_build.configure.log"
cmake --build "$app_build" --target ihd_train > "$app_build.build.log"
package=$(mktemp -d)
mkdir -p "$package/ihd_train/lib"
cp "$app_build/apps/ihd_train" "$package/ihd_train/"
ldd "$app_build/apps/ihd_train" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | while read -r library; do
  case $(basename "$library") in
    libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | ld-linux* | libstdc++.so* | \
      libgcc_s.so* | libcuda.so* | libcudnn* | libcublas* | libcudart* | libnccl*) ;;
    *) cp -L "$library" "$package/ihd_train/lib/" ;;
  esac
done
tar -C "$package" -cJf "$deps/ihd_train.tar.xz" ihd_train
rm -rf "$package"

du -sh "$deps"
