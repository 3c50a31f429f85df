// What the tools print into a file (a log, as under nohup or a scheduler): ihd_train's start lines
// (model, device, threads, precision, data counts, how the training images fall into batches, the
// images of a last partial batch left out), plain progress lines and the epoch summary
// within 80 columns; --quiet leaves the start lines and summaries and drops the progress lines, in
// ihd_train and ihd_synth alike. On a terminal of 80 columns every line of ihd_synth, ihd_train
// (the run plan, the epoch summary, the calibration), ihd_eval (its summary) and ihd_predict fits
// but those naming a path.
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "child_process.h"
#include "common/terminal_child.h"
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

// The lines a terminal shows of `output` (what a child wrote on a pseudo-terminal), each "\r\n"
// the terminal made of a "\n" ended; a line redrawn in place holds several frames.
std::vector<std::string> terminal_lines(const std::string& output) {
  std::vector<std::string> lines = split_text(output, '\n');
  for (std::string& line : lines) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
  }
  return lines;
}

// Checks that `output`, from a terminal of `columns` columns, draws the progress of `label` on one
// line redrawn in place ('\r' before every frame, the last at 100%), and that every line redrawn
// so keeps each frame within the width less one column.
void check_progress_redrawn(const std::string& output, int columns, const std::string& label) {
  CAPTURE(columns);
  CAPTURE(label);
  bool seen = false;
  for (const std::string& line : terminal_lines(output)) {
    if (!line.starts_with('\r')) continue;
    CAPTURE(line);
    const std::vector<std::string> frames = frames_of(line);
    for (const std::string& frame : frames) CHECK(frame.size() < static_cast<size_t>(columns));
    if (frames.empty() || !frames.front().starts_with(label)) continue;
    seen = true;
    CHECK(frames.back().starts_with(label));
    CHECK(frames.back().find("100%") != std::string::npos);
  }
  CHECK(seen);
}

// Checks that no line of `output` is wider than `columns`, but those naming `scratch` (paths).
void check_lines_fit(const std::string& output, int columns, const fs::path& scratch) {
  for (const std::string& line : terminal_lines(output)) {
    CAPTURE(line);
    if (line.find(scratch.string()) != std::string::npos) continue;
    for (const std::string& frame : frames_of(line)) {
      CHECK(frame.size() <= static_cast<size_t>(columns));
    }
  }
}

}  // namespace

TEST_CASE("console: on a terminal of 80 and of 50 columns, the tools redraw a line that fits") {
  for (const int columns : {80, 50}) {
    const fs::path dir = scratch_dir("console_terminal_" + std::to_string(columns));
    const ChildOutput synth =
        run_on_terminal(columns, {IHD_SYNTH_BINARY, "--patients", "2", "--slices-per-patient", "3",
                                  "--size", "32", "--out", (dir / "synth").string()});
    REQUIRE(synth.exit_code == 0);
    CAPTURE(synth.text);
    check_progress_redrawn(synth.text, columns, "writing synthetic slices ");

    // Training synthesises and prepares its data, then trains, validates and calibrates (on a
    // set of 6 patients, whose validation split holds both classes: a temperature is fitted).
    std::vector<std::string> arguments = tiny_train_arguments(dir, dir / "run");
    arguments.insert(arguments.end(), {"--synth-patients=6", "--synth-slices=8"});
    const ChildOutput train = run_on_terminal(columns, arguments);
    REQUIRE(train.exit_code == 0);
    CAPTURE(train.text);
    for (const char* label : {"writing synthetic slices ", "reading headers ", "writing 1 shard ",
                              "epoch 1/1 ", "validation 1/1 ", "calibration "}) {
      check_progress_redrawn(train.text, columns, label);
    }
    // At 80 columns every line fits (the epoch summary is two lines of at most 79 characters);
    // at 50 only the progress lines do, the others wrap.
    if (columns == 80) {
      check_lines_fit(synth.text, columns, dir);
      CHECK(train.text.find("\nepoch 1/1  train loss ") != std::string::npos);
      CHECK(train.text.find("\ncalibration: output 0 ") != std::string::npos);
      check_lines_fit(train.text, columns, dir);
      const ChildOutput eval = run_on_terminal(
          columns, {IHD_EVAL_BINARY, "--model", (dir / "run").string(), "--bootstrap", "20"});
      CAPTURE(eval.text);
      REQUIRE(eval.exit_code == 0);
      CHECK(eval.text.find("\n  at 0.5:    recall ") != std::string::npos);
      CHECK(eval.text.find("\nper patient: ") != std::string::npos);
      check_lines_fit(eval.text, columns, dir);
      const ChildOutput predict =
          run_on_terminal(columns, {IHD_PREDICT_BINARY, "--model", (dir / "run").string(), "--out",
                                    (dir / "predictions.csv").string(),
                                    std::string(IHD_PYDICOM_TEST_FILES) + "/CT_small.dcm"});
      CAPTURE(predict.text);
      REQUIRE(predict.exit_code == 0);
      CHECK(predict.text.find(" images scored, 0 skipped") != std::string::npos);
      check_lines_fit(predict.text, columns, dir);
    }
  }
}

TEST_CASE("console: ihd_train into a file says how it runs, the batches and the images left out") {
  const fs::path dir = scratch_dir("console_train");
  const fs::path log = dir / "log.txt";
  // The tiny set's 12 training images: three whole batches of 4.
  const std::string kept = output_of(tiny_train_arguments(dir, dir / "kept"), {"--batch=4"}, log);
  CAPTURE(kept);
  CHECK(kept.find("training resnet18 (0.18 M parameters) on cpu with 1 CPU thread in fp32\n") !=
        std::string::npos);
  CHECK(kept.find(" (12 train, 4 validation, 0 test)\n") != std::string::npos);
  CHECK(kept.find("12 training images in 3 batches of 4 per epoch\n") != std::string::npos);
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

  // Batches of 5 leave two images over: each epoch leaves them out, and says so.
  const std::string dropped =
      output_of(tiny_train_arguments(dir, dir / "dropped"), {"--batch=5"}, log);
  CAPTURE(dropped);
  CHECK(dropped.find("12 training images, 2 batches of 5 per epoch:\n  the last 2 images of each "
                     "shuffled epoch are left out (whole batches only)\n") != std::string::npos);
  CHECK(has_line_starting(dropped, "epoch 1/1 100% 10/10 img "));

  const std::string quiet =
      output_of(tiny_train_arguments(dir, dir / "quiet"), {"--batch=5", "--quiet"}, log);
  CAPTURE(quiet);
  CHECK(quiet.find("12 training images, 2 batches of 5") != std::string::npos);
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
