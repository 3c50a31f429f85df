// The smallest ihd_train run the reliability tests start as child processes: one epoch of a
// ResNet-18 at 1/8 width on 32-pixel slices of a 4-patient synthetic set, whose data cache
// (dir/data) the runs of one test share, so that it is synthesised once.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ihd::reliability {

inline std::vector<std::string> tiny_train_arguments(const std::filesystem::path& dir,
                                                     const std::filesystem::path& out) {
  std::vector<std::string> arguments = {IHD_TRAIN_BINARY};
  for (const char* flag :
       {"--synth-patients=4", "--synth-slices=4", "--arch=resnet18", "--width=0.125",
        "--image-size=32", "--batch=4", "--epochs=1", "--threads=1", "--workers=1"}) {
    arguments.emplace_back(flag);
  }
  arguments.push_back("--data-cache=" + (dir / "data").string());
  arguments.push_back("--out=" + out.string());
  return arguments;
}

}  // namespace ihd::reliability
