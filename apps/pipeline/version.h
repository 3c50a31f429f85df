// version_text(): what `--version` prints for every ihd tool: the project version, the commit
// the binary was built from, the build type and compiler, the CUDA, cuDNN and oneDNN versions
// this build was configured with (cmake/BuildInfo.cmake), and the GPUs the process sees now.
#pragma once

#include <string>

namespace ihd::pipeline {

// "ihd_train 0.1.0", then one "field: value" line each for commit, build, CUDA, cuDNN, oneDNN
// and GPUs (followed by one indented line per GPU seen).
std::string version_text(const std::string& program);

// The project version alone, "0.1.0".
std::string ihd_version();

}  // namespace ihd::pipeline
