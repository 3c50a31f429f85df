// Made-up runs for the report tests: a history whose scores separate the classes better each
// epoch, a fresh folder to write pages into, and reading a page back.
#pragma once

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "apps/training/history.h"
#include "apps/training/metrics.h"

namespace ihd::training {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// 200 scores that separate the classes better as epochs go on; labels alternate.
inline void epoch_scores(int epoch, std::vector<double>& scores, std::vector<int>& labels) {
  scores.clear();
  labels.clear();
  for (int i = 0; i < 200; ++i) {
    const int label = i % 2;
    const double noise = std::sin(i * 12.9898) * 0.5;
    labels.push_back(label);
    scores.push_back(1 / (1 + std::exp(-(noise * 4 + (label ? 1 : -1) * 0.4 * epoch))));
  }
}

// A train and a validation record per epoch.
inline std::vector<EpochRecord> history_for(double learning_rate, int epochs) {
  std::vector<EpochRecord> history;
  std::vector<double> scores;
  std::vector<int> labels;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    for (const char* split : {"train", "validation"}) {
      epoch_scores(epoch + (split[0] == 't' ? 1 : 0), scores, labels);
      EpochRecord r;
      r.epoch = epoch;
      r.split = split;
      r.learning_rate = learning_rate;
      r.metrics = compute_metric_set(scores, labels, 0.95);
      r.loss = r.metrics.log_loss;
      r.images_per_second = 250;
      r.seconds = 0.8;
      history.push_back(r);
    }
  }
  return history;
}

inline std::filesystem::path fresh_dir(const char* name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace ihd::training
