# Finds the third-party libraries, all from Debian packages (or the CUDA toolkit):
# OpenBLAS (CPU GEMM), OpenMP (CPU threads), oneDNN (fast CPU convolutions, optional), doctest
# (tests), Google Benchmark (bench), DCMTK and zlib (DICOM), stb (PNG) and cairo (the reports'
# figures). IHD_DEPS_ROOT points at a folder of carried headers and libraries for machines
# without Debian's packages (the GPU machine; see scripts/device-check.sh).
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

# oneDNN (Debian's libdnnl-dev, the convolution library of PyTorch's CPU backend): AUTO uses it
# when found; without it the CPU convolutions run on the im2col + BLAS reference.
set(IHD_ONEDNN AUTO CACHE STRING "Fast CPU convolutions through oneDNN: AUTO (when found), ON or OFF")
set_property(CACHE IHD_ONEDNN PROPERTY STRINGS AUTO ON OFF)
set(IHD_WITH_ONEDNN OFF)
if(IHD_ONEDNN STREQUAL "ON" OR IHD_ONEDNN STREQUAL "AUTO")
  find_path(IHD_ONEDNN_INCLUDE oneapi/dnnl/dnnl.hpp)
  find_library(IHD_ONEDNN_LIBRARY NAMES dnnl)
  if(IHD_ONEDNN_INCLUDE AND IHD_ONEDNN_LIBRARY)
    set(IHD_WITH_ONEDNN ON)
    add_library(ihd_onednn INTERFACE)
    target_include_directories(ihd_onednn INTERFACE "${IHD_ONEDNN_INCLUDE}")
    target_link_libraries(ihd_onednn INTERFACE "${IHD_ONEDNN_LIBRARY}")
  elseif(IHD_ONEDNN STREQUAL "ON")
    message(FATAL_ERROR "IHD_ONEDNN=ON but oneDNN was not found (install libdnnl-dev)")
  endif()
endif()
if(IHD_WITH_ONEDNN)
  message(STATUS "CPU convolutions: oneDNN (${IHD_ONEDNN_LIBRARY})")
else()
  message(STATUS "CPU convolutions: im2col + BLAS (no oneDNN)")
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
  find_package(ZLIB REQUIRED)  # the DICOM pre-parse check inflates deflated data sets itself
  # cairo draws every figure of the reports the apps write (SVG and PNG surfaces, real fonts):
  # required with the apps, since a report without its figures is not worth writing.
  if(NOT PkgConfig_FOUND)
    message(FATAL_ERROR "pkg-config is needed to find cairo and OpenJPEG: apt-get install pkg-config")
  endif()
  pkg_check_modules(CAIRO IMPORTED_TARGET cairo>=1.16)
  if(NOT CAIRO_FOUND)
    message(FATAL_ERROR "cairo >= 1.16 (the reports' figures) was not found: "
                        "apt-get install libcairo2-dev (or configure with -DIHD_DATA=OFF)")
  endif()
  message(STATUS "Report figures: cairo ${CAIRO_VERSION}")
  # OpenJPEG decodes JPEG 2000 pixel data, which DCMTK's free toolkit cannot (data/jpeg2000.h).
  pkg_check_modules(OPENJPEG IMPORTED_TARGET libopenjp2>=2.3)
  if(NOT OPENJPEG_FOUND)
    message(FATAL_ERROR "OpenJPEG (JPEG 2000 DICOM) was not found: apt-get install "
                        "libopenjp2-7-dev (or configure with -DIHD_DATA=OFF)")
  endif()
endif()
