// The device and thread count of a start line; see compute_description.h.
#include "apps/pipeline/compute_description.h"

#include "kernels/cpu/threads.h"

namespace ihd::pipeline {

std::string compute_description(Device device, const std::string& precision) {
  const int threads = kernels::cpu::num_threads();
  return device.to_string() + " with " + std::to_string(threads) +
         (threads == 1 ? " CPU thread" : " CPU threads") + " in " + precision;
}

}  // namespace ihd::pipeline
