// The --version text, from the definitions cmake/BuildInfo.cmake passes in and engine/device.h.
#include "apps/pipeline/version.h"

#include "apps/pipeline/run_config.h"
#include "engine/device.h"

namespace ihd::pipeline {
namespace {

std::string or_absent(const std::string& version, const char* absent) {
  return version.empty() ? absent : version;
}

}  // namespace

std::string ihd_version() {
  return IHD_VERSION;
}

std::string version_text(const std::string& program) {
  std::string text = program + " " + ihd_version() + "\n";
  text += "commit: " + build_commit() + "\n";
  text += std::string("build: ") + IHD_BUILD_TYPE + ", " + IHD_COMPILER + "\n";
  text += "CUDA: " + or_absent(IHD_CUDA_VERSION, "not built (CPU only)") + "\n";
  text += "cuDNN: " + or_absent(IHD_CUDNN_VERSION, "not built") + "\n";
  text +=
      "oneDNN: " + or_absent(IHD_ONEDNN_VERSION, "not used (im2col + BLAS convolutions)") + "\n";
  const std::vector<std::string> gpus = cuda_device_descriptions();
  if (gpus.empty()) {
    text += std::string("GPUs: none seen") +
            (cuda_compiled() ? " (no GPU, no driver, or CUDA_VISIBLE_DEVICES hides them)" : "") +
            "\n";
  } else {
    text += "GPUs: " + std::to_string(gpus.size()) + " seen\n";
  }
  for (const std::string& gpu : gpus) text += "  " + gpu + "\n";
  return text;
}

}  // namespace ihd::pipeline
