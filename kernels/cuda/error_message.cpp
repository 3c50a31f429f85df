// A failed CUDA/cuDNN/cuBLAS call as one line for users (see error_message.h).
#include "kernels/cuda/error_message.h"

namespace ihd::kernels::cuda {
namespace {

// "cudaMalloc(&block, bytes)" -> "cudaMalloc"; text without a parenthesis stays as it is.
std::string_view function_name(std::string_view call) {
  call = call.substr(0, call.find('('));
  const size_t first = call.find_first_not_of(' ');
  if (first == std::string_view::npos) return "a call";
  return call.substr(first, call.find_last_not_of(' ') - first + 1);
}

// Out of memory in the runtime's words ("out of memory") or cuDNN's and cuBLAS's (*_ALLOC_FAILED).
bool is_out_of_memory(std::string_view reason) {
  return reason.find("out of memory") != std::string_view::npos ||
         reason.find("ALLOC_FAILED") != std::string_view::npos;
}

}  // namespace

std::string cuda_error_message(std::string_view library, std::string_view call,
                               std::string_view reason, int status) {
  std::string message(library);
  message += " error in ";
  message += function_name(call);
  message += ": ";
  message += reason.empty() ? std::string_view("no reason given") : reason;
  message += " (status " + std::to_string(status) + "); ";
  message += is_out_of_memory(reason)
                 ? "the GPU's memory is full: use a smaller --batch, or free the GPU (nvidia-smi "
                   "lists what holds it)"
                 : "check the GPU and its driver with nvidia-smi, or run on the CPU with --device "
                   "cpu; IHD_DEBUG=1 prints where it failed";
  return message;
}

}  // namespace ihd::kernels::cuda
