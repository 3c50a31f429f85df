// Device parsing and printing, whether CUDA is compiled in and usable, waiting for a device, and
// the GPUs seen.
#include "engine/device.h"

#include "common/error.h"

#ifdef IHD_WITH_CUDA
#include "kernels/cuda/context.h"
#include "kernels/cuda/memory.h"
#endif

namespace ihd {

std::string device_refusal(const std::string& text) {
  if (text == "cpu" || text == "cuda") return "";
  if (text.rfind("cuda:", 0) == 0) {
    const std::string index = text.substr(5);
    if (!index.empty() && index.size() <= 4 &&
        index.find_first_not_of("0123456789") == std::string::npos) {
      return "";
    }
  }
  return "expected cpu, cuda or cuda:N";
}

Device Device::parse(const std::string& text) {
  if (const std::string why = device_refusal(text); !why.empty()) {
    throw Error("bad device '" + text + "': " + why);
  }
  if (text == "cpu") return cpu();
  return cuda(text == "cuda" ? 0 : std::stoi(text.substr(5)));
}

std::string Device::to_string() const {
  return is_cpu() ? "cpu" : "cuda:" + std::to_string(index);
}

bool cuda_compiled() {
#ifdef IHD_WITH_CUDA
  return true;
#else
  return false;
#endif
}

bool cuda_available() {
#ifdef IHD_WITH_CUDA
  return kernels::cuda::device_count() > 0;
#else
  return false;
#endif
}

void synchronize(Device device) {
#ifdef IHD_WITH_CUDA
  if (device.is_cuda()) kernels::cuda::synchronize();
#else
  (void)device;
#endif
}

std::vector<std::string> cuda_device_descriptions() {
  std::vector<std::string> lines;
#ifdef IHD_WITH_CUDA
  for (int index = 0; index < kernels::cuda::device_count(); ++index) {
    lines.push_back("cuda:" + std::to_string(index) + ": " +
                    kernels::cuda::device_description(index));
  }
#endif
  return lines;
}

}  // namespace ihd
