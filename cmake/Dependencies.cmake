# Finds the third-party libraries, all from Debian packages (or the CUDA toolkit):
# OpenBLAS (CPU GEMM), OpenMP (CPU threads), doctest (tests), Google Benchmark (bench),
# DCMTK (DICOM) and stb (PNG). IHD_DEPS_ROOT points at a folder of carried headers and libraries
# for machines without Debian's packages (the GPU machine; see scripts/device-check.sh).
set(IHD_DEPS_ROOT "" CACHE PATH "Optional folder with include/ and lib/ of carried dependencies")
if(IHD_DEPS_ROOT)
  list(PREPEND CMAKE_PREFIX_PATH "${IHD_DEPS_ROOT}")
endif()

find_package(OpenMP REQUIRED COMPONENTS CXX)

find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(OPENBLAS QUIET IMPORTED_TARGET openblas)
endif()
add_library(ihd_blas INTERFACE)
if(OPENBLAS_FOUND)
  target_link_libraries(ihd_blas INTERFACE PkgConfig::OPENBLAS)
else()
  find_path(IHD_CBLAS_INCLUDE cblas.h PATH_SUFFIXES openblas REQUIRED)
  find_library(IHD_OPENBLAS_LIBRARY NAMES openblas REQUIRED)
  target_include_directories(ihd_blas INTERFACE "${IHD_CBLAS_INCLUDE}")
  target_link_libraries(ihd_blas INTERFACE "${IHD_OPENBLAS_LIBRARY}")
endif()

find_path(IHD_STB_INCLUDE stb/stb_image_write.h PATHS "${IHD_DEPS_ROOT}/include")
find_path(IHD_DOCTEST_INCLUDE doctest/doctest.h PATHS "${IHD_DEPS_ROOT}/include")

if(IHD_BENCH)
  find_package(benchmark QUIET)
  if(NOT benchmark_FOUND)
    message(STATUS "Google Benchmark not found: benchmarks are not built")
    set(IHD_BENCH OFF)
  endif()
endif()

if(IHD_DATA)
  find_package(DCMTK REQUIRED CONFIG)
endif()
