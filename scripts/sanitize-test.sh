#!/usr/bin/env bash
# The sanitizer pass: builds ihd again in build-sanitize/ with AddressSanitizer (LeakSanitizer on)
# and UndefinedBehaviorSanitizer, CPU only, and runs the test suite there except the long tests
# (ctest labels "slow", "torch" and "mpi"). Any report fails the test that triggered it.
# Suppressions (tests/sanitize/*.supp) name third-party libraries only, never ihd code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/build.sh" "$root/build-sanitize" -DIHD_TESTS=ON -DIHD_SANITIZE=ON -DIHD_CUDA=OFF \
  -DIHD_BENCH=OFF
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1
export LSAN_OPTIONS=suppressions=$root/tests/sanitize/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$root/build-sanitize"
ctest --output-on-failure -j "$(nproc)" --timeout 1200 -LE 'slow|torch|mpi'
