// The words each tool's start line uses for where it computes: the device and the CPU backend's
// thread count (kernels/cpu/threads.h), "cpu with 2 CPU threads" or "cuda:0 with 1 CPU thread".
#pragma once

#include <string>

#include "engine/device.h"

namespace ihd::pipeline {

std::string compute_description(Device device);

}  // namespace ihd::pipeline
