// A run's config.json: one flat JSON object of string keys and string values (every flag, the
// commit, the device, the decision threshold). ihd_train writes it; --resume, ihd_predict and
// ihd_eval read it back, so inference uses exactly the training's preprocessing.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ihd::pipeline {

using ConfigValues = std::vector<std::pair<std::string, std::string>>;

// Writes the pairs in order, atomically (temp file + rename).
void write_run_config(const std::filesystem::path& path, const ConfigValues& values);
// Reads a file written by write_run_config; throws ihd::Error naming the file on bad input.
std::map<std::string, std::string> read_run_config(const std::filesystem::path& path);
// A list in one config value (label names, temperatures), its items joined by ';' (an item holds
// no ';'); "" is the empty list.
std::string join_list(const std::vector<std::string>& items);
std::vector<std::string> split_list(const std::string& text);
// The commit this binary was built from, "+dirty" when tracked files differed from it ("unknown"
// outside a git checkout); recorded at build time (cmake/WriteCommit.cmake).
std::string build_commit();

}  // namespace ihd::pipeline
