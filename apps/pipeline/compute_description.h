// The words each tool's start line uses for where and how it computes: the device, the CPU
// backend's thread count (kernels/cpu/threads.h) and the precision, "cpu with 2 CPU threads in
// fp32" or "cuda:0 with 1 CPU thread in bf16". Inference (predict, eval, embed) runs in fp32.
#pragma once

#include <string>

#include "engine/device.h"

namespace ihd::pipeline {

std::string compute_description(Device device, const std::string& precision = "fp32");

}  // namespace ihd::pipeline
