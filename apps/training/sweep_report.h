// The sweep report of the seed's model-selection protocol: a summary table with each learning
// rate's best epoch and whether it went on to the next round, then for each round recall,
// precision, accuracy and loss per epoch with one line per learning rate (the seed's figures),
// then the sweep's settings. Written as <sweep_dir>/report.html with the figures embedded and
// under <sweep_dir>/plots/.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "apps/training/history.h"
#include "apps/training/model_selection.h"
#include "apps/training/report.h"

namespace ihd::training {

struct SweepRun {
  double learning_rate = 0;
  std::vector<EpochRecord> history;  // this run's history.csv
  bool advanced = false;             // went on to the next round (or won the last)
};

struct SweepRound {
  std::string name;         // "round 1"
  std::string description;  // "2000 images, 10 epochs"
  std::vector<SweepRun> runs;
};

struct SweepReport {
  std::string title = "ihd learning-rate sweep";
  ConfigEntries config;
  std::vector<SweepRound> rounds;
  SelectionRule selection = SelectionRule::kSpecificityAtTargetSensitivity;
  std::string split = "validation";  // the split whose curves are drawn and ranked
};

// The metrics drawn per round, in order; each is a history column.
const std::vector<std::string>& sweep_plot_metrics();

// "1e-2", "3e-4", "1.5e-3": mantissa and power of ten, as the seed wrote learning rates.
std::string format_learning_rate(double learning_rate);

// Writes sweep_dir/report.html and sweep_dir/plots/round<N>_<metric>.{svg,png}; returns the
// report's path.
std::filesystem::path write_sweep_report(const std::filesystem::path& sweep_dir,
                                         const SweepReport& report);

}  // namespace ihd::training
