// ihd_train: trains ResNet to detect intracranial hemorrhage. With no --data it synthesises a
// head-CT set and trains on it (the demo). --sequence-stage adds the study-level sequence stage
// after the slice model; --stage sequence trains that stage alone. See `ihd_train --help` for
// every flag and its default.
#include <cstdio>
#include <exception>

#include "apps/pipeline/flags.h"             // FlagSet
#include "apps/pipeline/model_setup.h"       // resnet_config_for
#include "apps/pipeline/sequence_trainer.h"  // run_sequence_training, run_two_stage_training
#include "apps/pipeline/sweep.h"             // run_sweep
#include "apps/pipeline/train_options.h"     // TrainOptions, add_train_flags, validate
#include "apps/pipeline/trainer.h"           // run_training, resumed_options, NonFiniteLoss
#include "common/console.h"                  // line_buffer_stdout
#include "common/error.h"                    // ihd::Error
#include "model/summary.h"                   // resnet_summary

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  using namespace ihd::pipeline;
  TrainOptions options;
  FlagSet flags("ihd_train", "[flags]   (no --data: train on a synthetic head-CT set)");
  add_train_flags(flags, options);
  try {
    if (!flags.parse(argc, argv)) return 0;
    if (!flags.positional().empty()) {
      throw ihd::Error("unexpected argument '" + flags.positional().front() + "'");
    }
    if (!options.resume.empty()) options = resumed_options(options, flags);
    validate(options);
    if (options.summary) {
      std::fputs(ihd::resnet_summary(resnet_config_for(options), options.image_size).c_str(),
                 stdout);
      return 0;
    }
    const TrainingOutcome outcome = options.sweep                 ? run_sweep(options)
                                    : options.sequence_stage      ? run_two_stage_training(options)
                                    : options.stage == "sequence" ? run_sequence_training(options)
                                                                  : run_training(options);
    if (outcome.best) {
      const auto& best = *outcome.best;
      std::printf(
          "best epoch %d (%s): recall %.3f precision %.3f acc %.3f AUC %.3f\n"
          "  threshold for sensitivity %.2f: %.4f\n",
          best.epoch, best.split.c_str(), best.metrics.at_default_threshold.recall,
          best.metrics.at_default_threshold.precision, best.metrics.at_default_threshold.accuracy,
          best.metrics.roc_auc, options.target_sensitivity, outcome.decision_threshold);
    }
    std::printf("run folder: %s (report.html)\n",
                (options.resume.empty() ? options.out : options.resume).c_str());
    return 0;
  } catch (const NonFiniteLoss& error) {
    std::fprintf(stderr, "ihd_train: stopped: %s\n", error.what());
    return 3;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ihd_train: error: %s\n", error.what());
    return 1;
  }
}
