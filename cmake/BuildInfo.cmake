# What `--version` reports about this build (apps/pipeline/version.cpp): the project version, the
# build type, the compiler, and the versions of CUDA, cuDNN and oneDNN the configuration found
# (read from their headers; empty when that backend is not built). Sets IHD_BUILD_INFO_DEFINITIONS,
# the compile definitions that carry them.

# The "MAJOR.MINOR.PATCH" of the three macros PREFIX_MAJOR/MINOR/PATCH... in `header`, or "".
function(ihd_header_version header major minor patch out)
  set(version "")
  if(EXISTS "${header}")
    file(READ "${header}" text)
    foreach(part ${major} ${minor} ${patch})
      if(text MATCHES "#define[ \t]+${part}[ \t]+([0-9]+)")
        list(APPEND version ${CMAKE_MATCH_1})
      endif()
    endforeach()
    list(JOIN version "." version)
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

set(ihd_cuda_version "")
set(ihd_cudnn_version "")
if(IHD_WITH_CUDA)
  set(ihd_cuda_version "${CUDAToolkit_VERSION}")
  ihd_header_version("${IHD_CUDNN_INCLUDE}/cudnn_version.h" CUDNN_MAJOR CUDNN_MINOR
                     CUDNN_PATCHLEVEL ihd_cudnn_version)
  if(NOT ihd_cudnn_version)  # cuDNN before 8 kept its version in cudnn.h
    ihd_header_version("${IHD_CUDNN_INCLUDE}/cudnn.h" CUDNN_MAJOR CUDNN_MINOR CUDNN_PATCHLEVEL
                       ihd_cudnn_version)
  endif()
endif()
set(ihd_onednn_version "")
if(IHD_WITH_ONEDNN)
  ihd_header_version("${IHD_ONEDNN_INCLUDE}/oneapi/dnnl/dnnl_version.h" DNNL_VERSION_MAJOR
                     DNNL_VERSION_MINOR DNNL_VERSION_PATCH ihd_onednn_version)
endif()
set(ihd_build_type "${CMAKE_BUILD_TYPE}")
if(IHD_SANITIZE)
  string(APPEND ihd_build_type " with AddressSanitizer and UndefinedBehaviorSanitizer")
endif()

set(IHD_BUILD_INFO_DEFINITIONS
    IHD_VERSION="${PROJECT_VERSION}"
    IHD_BUILD_TYPE="${ihd_build_type}"
    IHD_COMPILER="${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}"
    IHD_CUDA_VERSION="${ihd_cuda_version}"
    IHD_CUDNN_VERSION="${ihd_cudnn_version}"
    IHD_ONEDNN_VERSION="${ihd_onednn_version}")
