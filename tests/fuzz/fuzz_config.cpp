// Fuzz target: the run configuration readers. The input is read as a config.json
// (read_run_config), and its lines are given to ihd_train's FlagSet as command-line arguments
// (every training flag declared), then the options are validated. ihd::Error is the expected
// outcome of bad input; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "apps/pipeline/flags.h"
#include "apps/pipeline/run_config.h"
#include "apps/pipeline/train_options.h"
#include "common/error.h"
#include "fuzz_input_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto path = ihd::fuzz::write_fuzz_input(data, size, ".json");
  try {
    ihd::pipeline::read_run_config(path);
  } catch (const ihd::Error&) {
  }

  std::vector<std::string> arguments{"ihd_train"};
  std::istringstream lines(std::string(reinterpret_cast<const char*>(data), size));
  for (std::string line; std::getline(lines, line) && arguments.size() < 64;) {
    if (line != "--help" && line != "-h") arguments.push_back(line);
  }
  std::vector<const char*> argv;
  for (const std::string& argument : arguments) argv.push_back(argument.c_str());
  ihd::pipeline::TrainOptions options;
  ihd::pipeline::FlagSet flags("ihd_train", "");
  ihd::pipeline::add_train_flags(flags, options);
  try {
    flags.parse(static_cast<int>(argv.size()), argv.data());
    ihd::pipeline::validate(options);
  } catch (const ihd::Error&) {
  }
  return 0;
}
