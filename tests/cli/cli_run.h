// What the command-line tests share: the tools' paths, one tool run as a child process (exit
// code and output), the tiny ihd_train run they train (a ResNet-18 at 1/8 width on 32-pixel
// slices of a 12-patient synthetic set, three epochs of eight steps), a folder's files, and the
// check that a stopped and resumed run ended byte-identical to an uninterrupted one.
#pragma once

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "apps/pipeline/checkpoint.h"
#include "reliability/child_process.h"
#include "reliability/reliability_util.h"

namespace ihd::cli {

namespace fs = std::filesystem;
using reliability::read_bytes;
using reliability::scratch_dir;

inline std::string tool(const std::string& name) {
  return std::string(IHD_TOOL_DIR) + "/" + name;
}

struct ToolRun {
  int exit_code = 0;  // or -signal
  std::string output;
};

// Runs `arguments` (the tool's path first) to its end, in `working_dir` (this process's when
// empty), with IHD_FAULT_KILL=`fault_kill` (unset when empty).
inline ToolRun run_tool(const std::vector<std::string>& arguments, const fs::path& log,
                        const std::string& fault_kill = "", const fs::path& working_dir = {}) {
  fs::remove(log);
  const int exit_code =
      reliability::wait_for(reliability::start_process(arguments, log, fault_kill, working_dir));
  return {exit_code, read_bytes(log)};
}

constexpr int kTinyEpochs = 3;

// ihd_train's arguments for the tiny run into `out` (none when empty: the default run folder),
// with its synthetic set in `data_cache`.
inline std::vector<std::string> tiny_train(const fs::path& out, const fs::path& data_cache) {
  std::vector<std::string> arguments = {tool("ihd_train")};
  for (const char* flag :
       {"--synth-patients=12", "--synth-slices=4", "--arch=resnet18", "--width=0.125",
        "--image-size=32", "--batch=4", "--epochs=3", "--threads=1", "--workers=1"}) {
    arguments.emplace_back(flag);
  }
  arguments.push_back("--data-cache=" + data_cache.string());
  if (!out.empty()) arguments.push_back("--out=" + out.string());
  return arguments;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every regular file under `folder` and its bytes.
inline std::map<std::string, std::string> snapshot(const fs::path& folder) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) files[entry.path().string()] = read_bytes(entry.path());
  }
  return files;
}

// history.csv without the columns that measure time (seconds, images_per_second and, in a
// data-parallel run, communication_seconds).
inline std::string history_without_timing(const fs::path& run_dir) {
  std::istringstream lines(read_bytes(run_dir / "history.csv"));
  std::vector<bool> keep;
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> cells;
    std::istringstream fields(line);
    for (std::string cell; std::getline(fields, cell, ',');) cells.push_back(cell);
    if (keep.empty()) {
      for (const std::string& name : cells) {
        keep.push_back(name != "seconds" && name != "images_per_second" &&
                       name != "communication_seconds");
      }
    }
    for (std::size_t i = 0; i < cells.size() && i < keep.size(); ++i) {
      if (keep[i]) out += cells[i] + ",";
    }
    out += "\n";
  }
  return out;
}

// The run in `stopped`, finished, is the run in `whole`, byte for byte.
inline void check_same_run(const fs::path& whole, const fs::path& stopped) {
  for (const char* file : {pipeline::kLastCheckpointName, pipeline::kBestCheckpointName,
                           pipeline::kResumeCheckpointName, "best_predictions.csv"}) {
    CAPTURE(file);
    REQUIRE(fs::exists(stopped / file));
    CHECK(read_bytes(stopped / file) == read_bytes(whole / file));
  }
  CHECK(history_without_timing(stopped) == history_without_timing(whole));
}

}  // namespace ihd::cli
