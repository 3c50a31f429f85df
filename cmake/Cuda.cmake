# Decides whether the CUDA backend is built. AUTO builds it whenever nvcc is found, even on a
# machine with no GPU, so that CI keeps the CUDA code compiling. Sets IHD_WITH_CUDA.
set(IHD_WITH_CUDA OFF)
if(IHD_CUDA STREQUAL "ON" OR IHD_CUDA STREQUAL "AUTO")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80-real 90-real 90-virtual)
    endif()
    enable_language(CUDA)
    # C++17: the newest CUDA dialect CMake 3.25 (Debian 12) knows for nvcc; .cu files need no more.
    set(CMAKE_CUDA_STANDARD 17)
    find_package(CUDAToolkit REQUIRED)
    find_path(IHD_CUDNN_INCLUDE cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} ENV CUDNN_ROOT
              PATH_SUFFIXES include)
    find_library(IHD_CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} ENV CUDNN_ROOT
                 PATH_SUFFIXES lib lib64)
    if(IHD_CUDNN_INCLUDE AND IHD_CUDNN_LIBRARY)
      set(IHD_WITH_CUDA ON)
    elseif(IHD_CUDA STREQUAL "ON")
      message(FATAL_ERROR "IHD_CUDA=ON but cuDNN was not found (set CUDNN_ROOT)")
    endif()
  elseif(IHD_CUDA STREQUAL "ON")
    message(FATAL_ERROR "IHD_CUDA=ON but no CUDA compiler was found")
  endif()
endif()
message(STATUS "ihd: CUDA backend ${IHD_WITH_CUDA}")
