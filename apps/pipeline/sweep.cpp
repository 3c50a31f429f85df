// run_sweep(): three rounds of run_training(), each run announced with its place among the
// sweep's runs ("run 4/9") above its own start lines and progress, whose run ETA covers the rest
// of the sweep (set_work_after_run): a later run of a size already run (the same image limit) at
// the seconds per epoch measured there, any other as a multiple of the run in progress (its
// epochs over this run's, times the ratio of the two limits when both are set).
#include "apps/pipeline/sweep.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>

#include "apps/pipeline/run_config.h"
#include "apps/pipeline/run_folder.h"
#include "apps/pipeline/training_report.h"
#include "apps/training/model_selection.h"
#include "apps/training/sweep_report.h"
#include "common/error.h"
#include "common/progress.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

struct RoundResult {
  double learning_rate;
  TrainingOutcome outcome;
};

std::string round_description(long limit, int epochs) {
  return (limit > 0 ? std::to_string(limit) + " images, " : std::string("all images, ")) +
         std::to_string(epochs) + " epochs";
}

// The sweep's runs, planned up front (each round's size is known before its rates are), and the
// seconds per epoch measured on the runs done, by image limit.
class SweepPlan {
 public:
  void add(int runs, long limit, int epochs) {
    for (int i = 0; i < runs; ++i) runs_.push_back({limit, epochs});
  }
  int run_count() const { return static_cast<int>(runs_.size()); }
  int runs_done() const { return static_cast<int>(done_); }

  // What follows the next run, for its progress lines; then runs it (`train`) and measures it.
  TrainingOutcome run_next(const std::function<TrainingOutcome()>& train) {
    const Run& run = runs_.at(done_);
    WorkAfterRun work{.run_start_seconds = steady_clock_seconds()};
    for (std::size_t later = done_ + 1; later < runs_.size(); ++later) {
      const Run& other = runs_[later];
      if (const auto measured = seconds_per_epoch_.find(other.limit);
          measured != seconds_per_epoch_.end()) {
        work.seconds += other.epochs * measured->second;
      } else {
        const double size = other.limit > 0 && run.limit > 0 && other.limit != run.limit
                                ? static_cast<double>(other.limit) / static_cast<double>(run.limit)
                                : 1;
        work.run_multiples += size * other.epochs / run.epochs;
      }
    }
    set_work_after_run(work);
    TrainingOutcome outcome = train();
    seconds_per_epoch_[run.limit] = (steady_clock_seconds() - work.run_start_seconds) / run.epochs;
    ++done_;
    set_work_after_run({});
    return outcome;
  }

 private:
  struct Run {
    long limit;
    int epochs;
  };
  std::vector<Run> runs_;
  std::size_t done_ = 0;
  std::map<long, double> seconds_per_epoch_;
};

// Runs one round, each run as the next of `plan`.
std::vector<RoundResult> run_round(const TrainOptions& base, const std::string& round_name,
                                   const std::vector<double>& rates, long limit, int epochs,
                                   SweepPlan& plan) {
  std::vector<RoundResult> results;
  for (double rate : rates) {
    TrainOptions options = base;
    options.sweep = false;
    options.lr = rate;
    options.limit = limit;
    options.epochs = epochs;
    options.warmup_epochs = std::min(options.warmup_epochs, epochs - 1);
    options.out =
        (fs::path(base.out) / round_name / ("lr-" + training::format_learning_rate(rate))).string();
    std::printf("\n== run %d/%d, %s: learning rate %s, %s -> %s\n", plan.runs_done() + 1,
                plan.run_count(), round_name.c_str(), training::format_learning_rate(rate).c_str(),
                round_description(limit, epochs).c_str(), options.out.c_str());
    results.push_back({rate, plan.run_next([&] {
                         TrainingOutcome outcome = run_training(options);
                         write_training_report(options.out);  // with the calibrated threshold
                         return outcome;
                       })});
  }
  return results;
}

// Learning rates of a round, best first by the run's ranking of each run's best epoch.
std::vector<double> ranked_rates(std::vector<RoundResult> results, training::SelectionRule rule) {
  std::stable_sort(results.begin(), results.end(), [rule](const auto& a, const auto& b) {
    if (!a.outcome.best || !b.outcome.best) return a.outcome.best.has_value() && !b.outcome.best;
    return training::ranks_above(*a.outcome.best, *b.outcome.best, rule);
  });
  std::vector<double> rates;
  for (const RoundResult& result : results) rates.push_back(result.learning_rate);
  return rates;
}

training::SweepRound report_round(const std::string& name, const std::string& description,
                                  const std::vector<RoundResult>& results,
                                  const std::vector<double>& advanced) {
  training::SweepRound round{name, description, {}};
  for (const RoundResult& result : results) {
    const bool went_on =
        std::find(advanced.begin(), advanced.end(), result.learning_rate) != advanced.end();
    round.runs.push_back({result.learning_rate, result.outcome.history, went_on});
  }
  return round;
}

}  // namespace

TrainingOutcome run_sweep(const TrainOptions& options) {
  const training::SelectionRule rule = training::parse_selection_rule(options.select);
  const std::vector<double> rates = parse_learning_rates(options.sweep_lrs);
  const FolderLock lock = open_owned_folder(
      options.out, kSweepFormat, options.overwrite ? FolderUse::overwrite : FolderUse::fresh);
  ConfigValues config = {{"format", kSweepFormat}};
  for (auto& value : option_values(options)) config.push_back(std::move(value));
  write_run_config(fs::path(options.out) / kRunConfigName, config);

  SweepPlan plan;
  plan.add(static_cast<int>(rates.size()), options.sweep_round1_limit, options.sweep_round1_epochs);
  plan.add(options.sweep_keep, options.sweep_round1_limit, options.sweep_round2_epochs);
  plan.add(1, options.sweep_final_limit, options.sweep_final_epochs);
  const auto round1 = run_round(options, "round1", rates, options.sweep_round1_limit,
                                options.sweep_round1_epochs, plan);
  std::vector<double> kept = ranked_rates(round1, rule);
  kept.resize(static_cast<size_t>(options.sweep_keep));

  const auto round2 = run_round(options, "round2", kept, options.sweep_round1_limit,
                                options.sweep_round2_epochs, plan);
  const double winner = ranked_rates(round2, rule).front();

  const auto final_round = run_round(options, "final", {winner}, options.sweep_final_limit,
                                     options.sweep_final_epochs, plan);

  training::SweepReport report;
  report.selection = rule;
  report.config = {{"learning rates", options.sweep_lrs},
                   {"arch", options.arch},
                   {"image size", std::to_string(options.image_size)},
                   {"batch", std::to_string(options.batch)},
                   {"optimizer", options.optimizer},
                   {"winner", training::format_learning_rate(winner)}};
  report.rounds.push_back(report_round(
      "round 1", round_description(options.sweep_round1_limit, options.sweep_round1_epochs), round1,
      kept));
  report.rounds.push_back(report_round(
      "round 2", round_description(options.sweep_round1_limit, options.sweep_round2_epochs), round2,
      {winner}));
  report.rounds.push_back(report_round(
      "final", round_description(options.sweep_final_limit, options.sweep_final_epochs),
      final_round, {winner}));
  const fs::path page = training::write_sweep_report(options.out, report);
  std::printf("\nsweep winner: learning rate %s; report: %s\n",
              training::format_learning_rate(winner).c_str(), page.string().c_str());
  return final_round.front().outcome;
}

}  // namespace ihd::pipeline
