// What the tools print into a file (a log, as under nohup or a scheduler): ihd_train's start lines
// (model, device, threads, precision, data counts, how the training images fall into batches, the
// image left out when a single one is left over), plain progress lines and the epoch summary
// within 80 columns; --quiet leaves the start lines and summaries and drops the progress lines, in
// ihd_train and ihd_synth alike.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "child_process.h"
#include "reliability_util.h"
#include "tiny_run.h"

namespace ihd::reliability {
namespace {

namespace fs = std::filesystem;

// Runs `arguments` with its output into `log`; returns the output, requiring exit status 0.
std::string output_of(std::vector<std::string> arguments, const std::vector<std::string>& extra,
                      const fs::path& log) {
  fs::remove(log);
  arguments.insert(arguments.end(), extra.begin(), extra.end());
  const int exit_code = wait_for(start_process(arguments, log));
  const std::string output = read_bytes(log);
  CAPTURE(output);
  REQUIRE(exit_code == 0);
  return output;
}

bool has_line_starting(const std::string& output, const std::string& start) {
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(start, 0) == 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("console: ihd_train into a file says how it runs, the batches and the image left out") {
  const fs::path dir = scratch_dir("console_train");
  const fs::path log = dir / "log.txt";
  // The tiny set's 12 training images: batches of 5 keep a last batch of 2.
  const std::string kept = output_of(tiny_train_arguments(dir, dir / "kept"), {"--batch=5"}, log);
  CAPTURE(kept);
  CHECK(kept.find("training resnet18 (0.18 M parameters) on cpu with 1 CPU thread in fp32\n") !=
        std::string::npos);
  CHECK(kept.find(" (12 train, 4 validation, 0 test)\n") != std::string::npos);
  CHECK(kept.find("12 training images in 3 batches per epoch: 2 of 5 and the last of 2\n") !=
        std::string::npos);
  CHECK(has_line_starting(kept, "epoch 1/1 100% 12/12 img "));
  CHECK(has_line_starting(kept, "validation 1/1 100% 4/4 img "));
  CHECK(kept.find('\r') == std::string::npos);
  CHECK(kept.find("\x1b[") == std::string::npos);
  std::istringstream lines(kept);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("epoch 1/1  train", 0) == 0 || line.rfind("  val loss", 0) == 0) {
      CHECK(line.size() <= 79);
    }
  }

  // Batches of 11 leave one image over: batch norm needs two, so it is left out, and said so.
  const std::string dropped =
      output_of(tiny_train_arguments(dir, dir / "dropped"), {"--batch=11"}, log);
  CAPTURE(dropped);
  CHECK(dropped.find("12 training images, 1 batch of 11 per epoch: the last image of each "
                     "shuffled epoch is left out (batch norm needs two)\n") != std::string::npos);
  CHECK(has_line_starting(dropped, "epoch 1/1 100% 11/11 img "));

  const std::string quiet =
      output_of(tiny_train_arguments(dir, dir / "quiet"), {"--batch=5", "--quiet"}, log);
  CAPTURE(quiet);
  CHECK(quiet.find("12 training images in 3 batches") != std::string::npos);
  CHECK(quiet.find("img/s loss") == std::string::npos);
  CHECK(has_line_starting(quiet, "epoch 1/1  train loss "));
  CHECK(has_line_starting(quiet, "run folder: "));
}

TEST_CASE("console: ihd_synth shows the slices written, and --quiet only its summary") {
  const fs::path dir = scratch_dir("console_synth");
  const fs::path log = dir / "log.txt";
  const std::vector<std::string> arguments = {
      IHD_SYNTH_BINARY, "--patients", "2", "--slices-per-patient", "2", "--size", "32"};
  const std::string shown = output_of(arguments, {"--out", (dir / "shown").string()}, log);
  CAPTURE(shown);
  CHECK(has_line_starting(shown, "writing synthetic slices 100% 4/4 slices "));
  CHECK(has_line_starting(shown, "ihd_synth: 4 images"));
  const std::string quiet =
      output_of(arguments, {"--out", (dir / "quiet").string(), "--quiet"}, log);
  CAPTURE(quiet);
  CHECK(quiet.find("writing synthetic slices") == std::string::npos);
  CHECK(quiet.rfind("ihd_synth: 4 images", 0) == 0);
}

}  // namespace ihd::reliability
