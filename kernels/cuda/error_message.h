// The message a user sees when a CUDA runtime, cuDNN or cuBLAS call fails: the library, the
// function that was called, the library's own reason with its status number, and what to do:
//   "CUDA error in cudaMalloc: out of memory (status 2); the GPU's memory is full: use a smaller
//    --batch, or free the GPU (nvidia-smi lists what holds it)"
// The source location of the call is not part of it (check.h prints it on a debug line under
// IHD_DEBUG=1): a user acts on the reason, a developer finds the call by its name. Free of CUDA
// headers, so it is built and tested with or without the CUDA backend.
#pragma once

#include <string>
#include <string_view>

namespace ihd::kernels::cuda {

// `call` is the call's source text ("cudaMalloc(&block, bytes)", of which the function name is
// shown) or what was done ("a kernel launch").
std::string cuda_error_message(std::string_view library, std::string_view call,
                               std::string_view reason, int status);

}  // namespace ihd::kernels::cuda
