# Decides whether data-parallel training over MPI (and, with the CUDA backend, NCCL) is built.
# AUTO builds it whenever an MPI implementation is found (Debian's libopenmpi-dev); without it
# ihd_train runs one process, exactly as with MPI when not started by mpirun. Sets IHD_WITH_MPI
# and IHD_WITH_NCCL (NCCL comes with the CUDA toolkit; it needs MPI to exchange its unique id).
set(IHD_WITH_MPI OFF)
set(IHD_WITH_NCCL OFF)
if(IHD_MPI STREQUAL "ON" OR IHD_MPI STREQUAL "AUTO")
  # The C API from C++, without MPI's deprecated C++ bindings.
  set(MPI_CXX_SKIP_MPICXX ON)
  find_package(MPI COMPONENTS CXX)
  if(MPI_CXX_FOUND)
    set(IHD_WITH_MPI ON)
  elseif(IHD_MPI STREQUAL "ON")
    message(FATAL_ERROR "IHD_MPI=ON but no MPI was found (install libopenmpi-dev)")
  endif()
endif()
if(IHD_WITH_MPI AND IHD_WITH_CUDA)
  find_path(IHD_NCCL_INCLUDE nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS} ENV NCCL_ROOT
            PATH_SUFFIXES include)
  find_library(IHD_NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} ENV NCCL_ROOT
               PATH_SUFFIXES lib lib64)
  if(IHD_NCCL_INCLUDE AND IHD_NCCL_LIBRARY)
    set(IHD_WITH_NCCL ON)
  endif()
endif()
message(STATUS "ihd: MPI ${IHD_WITH_MPI}, NCCL ${IHD_WITH_NCCL}")
