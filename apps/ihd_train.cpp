// ihd_train: trains ResNet to detect intracranial hemorrhage. With no --data it synthesises a
// head-CT set and trains on it (the demo). --sequence-stage adds the study-level sequence stage
// after the slice model; --stage sequence trains that stage alone. A new run goes into --out or,
// without it, a new runs/<YYYYMMDD-HHMMSS> that runs/latest links to, and says what it is about
// to do first (a new run that fails before writing anything but its config.json removes its folder
// again); --resume continues one (or answers that it has finished). Ctrl-C or SIGTERM stops
// after the current step with the checkpoint written and the command that resumes. See
// `ihd_train --help` for every flag, its group and its default. Under mpirun every rank runs
// this program: rank 0 prints and writes the run folder, the others print only their errors, and
// a rank's error ends the whole job (docs/DISTRIBUTED.md).
#include <cstdio>
#include <exception>

#include "apps/pipeline/flags.h"             // FlagSet, UsageError, kUsageExitCode
#include "apps/pipeline/interrupt.h"         // install_stop_signal_handlers, Interrupted
#include "apps/pipeline/model_setup.h"       // resnet_config_for
#include "apps/pipeline/rank_share.h"        // silence_all_but_root
#include "apps/pipeline/resume.h"            // resumed_options, nothing_to_resume
#include "apps/pipeline/run_folder.h"        // create_timestamped_run_folder, link_latest_run,
                                             // undo_failed_new_run
#include "apps/pipeline/run_plan.h"          // describe_run_plan
#include "apps/pipeline/sequence_trainer.h"  // run_sequence_training, run_two_stage_training
#include "apps/pipeline/sweep.h"             // run_sweep
#include "apps/pipeline/train_options.h"     // TrainOptions, add_train_flags, validate
#include "apps/pipeline/trainer.h"           // run_training, NonFiniteLoss
#include "apps/pipeline/training_report.h"   // write_training_report
#include "common/console.h"                  // line_buffer_stdout
#include "common/error.h"                    // ihd::Error
#include "engine/distributed/process_group.h"  // ProcessGroup (ranks under mpirun)
#include "model/summary.h"                   // resnet_summary

namespace {

using namespace ihd::pipeline;

void add_examples(FlagSet& flags) {
  flags.example("ihd_train",
                "synthesise a head-CT set and train ResNet-50 on it with the seed's settings, in "
                "a new runs/<YYYYMMDD-HHMMSS> (hours on a CPU)");
  flags.example(
      "ihd_train --synth-patients 40 --synth-slices 3 --arch resnet18 --width 0.25 "
      "--image-size 64 --epochs 3 --out runs/first",
      "a first run in a few minutes on a laptop");
  flags.example(
      "ihd_train --data RSNA_DIR --labels all --device cuda:0 --precision bf16 "
      "--batch 256",
      "the six RSNA labels on one GPU in bfloat16 mixed precision");
  flags.example("ihd_train --resume runs/latest --epochs 30",
                "continue the newest run where it stopped, now for 30 epochs");
  flags.example("ihd_train --data RSNA_DIR --labels all --sequence-stage --out runs/two-stage",
                "the slice model, then the study-level sequence stage over each series");
  flags.example("ihd_train --summary --arch resnet50 --image-size 224",
                "print the layer table and exit");
}

// `path` as a shell reads it back: quoted when it holds anything but letters, digits and ./_-+.
std::string shell_word(const std::string& path) {
  if (!path.empty() && path.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789./_-+:@%") == std::string::npos) {
    return path;
  }
  std::string quoted = "'";
  for (char c : path) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

int main(int argc, char** argv) {
  ihd::line_buffer_stdout();
  TrainOptions options;
  FlagSet flags("ihd_train", "[flags]",
                "Trains ResNet to tell whether a head-CT slice shows intracranial hemorrhage. "
                "Without --data it synthesises a head-CT set and trains on that.");
  add_train_flags(flags, options);
  add_examples(flags);
  std::string resume_command;
  const ihd::distributed::ProcessGroup* group = nullptr;
  NewRunChanges new_run;
  try {
    group = &ihd::distributed::ProcessGroup::world();
    silence_all_but_root(*group);
    if (!flags.parse(argc, argv)) return 0;
    if (!flags.positional().empty()) {
      throw UsageError("unexpected argument '" + flags.positional().front() +
                       "' (see ihd_train --help)");
    }
    const bool resuming = !options.resume.empty();
    if (resuming) options = resumed_options(options, flags);
    validate(options);
    if (group->distributed() && (options.sweep || options.sequence_stage ||
                                 options.stage == "sequence")) {
      throw ihd::Error(
          "data-parallel training (mpirun) trains the slice model; run --sweep, "
          "--sequence-stage and --stage sequence as one process");
    }
    if (options.summary) {
      std::fputs(ihd::resnet_summary(resnet_config_for(options), options.image_size).c_str(),
                 stdout);
      return 0;
    }
    if (resuming) {
      if (const auto answer = nothing_to_resume(options)) {
        std::printf("%s\n", answer->c_str());
        return 0;
      }
    } else {
      std::string latest;
      if (options.out.empty() && group->is_root()) {
        new_run.runs_parent = kDefaultRunsFolder;
        new_run.latest_before = latest_run_target(kDefaultRunsFolder);
        const auto folder = create_timestamped_run_folder(kDefaultRunsFolder);
        new_run.created_folder = true;
        options.out = folder.string();
        const auto link = std::filesystem::path(kDefaultRunsFolder) / kLatestRunLinkName;
        if (link_latest_run(kDefaultRunsFolder, folder)) {
          latest = link.string();
          new_run.moved_latest = true;
        } else {
          std::printf("note: %s is not a link (an older ihd's run folder?): left as it is\n",
                      link.string().c_str());
        }
      } else if (group->is_root()) {
        new_run.created_folder = !std::filesystem::exists(options.out);
      }
      group->broadcast(options.out);  // the ranks of a job train into rank 0's folder
      if (group->is_root()) new_run.folder = options.out;
      std::fputs(describe_run_plan(options, latest).c_str(), stdout);
      std::fflush(stdout);
    }
    const std::string run_dir = resuming ? options.resume : options.out;
    resume_command = "ihd_train --resume " + shell_word(run_dir);
    install_stop_signal_handlers(options.sweep
                                     ? "a sweep cannot be resumed: start it again"
                                     : "resume from the last checkpoint with: " + resume_command);
    const bool slice_run = !options.sweep && !options.sequence_stage && options.stage != "sequence";
    const TrainingOutcome outcome = options.sweep                 ? run_sweep(options)
                                    : options.sequence_stage      ? run_two_stage_training(options)
                                    : options.stage == "sequence" ? run_sequence_training(options)
                                                                  : run_training(options);
    // Again, with the calibrated threshold (rank 0 writes the run folder).
    if (slice_run && group->is_root()) write_training_report(run_dir);
    if (outcome.best) {
      const auto& best = *outcome.best;
      std::printf(
          "best epoch %d (%s): recall %.3f precision %.3f acc %.3f AUC %.3f\n"
          "  threshold for sensitivity %.2f: %.4f\n",
          best.epoch, best.split.c_str(), best.metrics.at_default_threshold.recall,
          best.metrics.at_default_threshold.precision, best.metrics.at_default_threshold.accuracy,
          best.metrics.roc_auc, options.target_sensitivity, outcome.decision_threshold);
    }
    std::printf("run folder: %s (report.html)\n", run_dir.c_str());
    return 0;
  } catch (const Interrupted& stop) {
    std::fflush(stdout);
    std::fprintf(stderr, "ihd_train: stopped at %s; %s\n", stop.where().c_str(),
                 options.sweep ? "a sweep cannot be resumed: start it again"
                               : ("resume with: " + resume_command).c_str());
    return stop.exit_code();
  } catch (const NonFiniteLoss& error) {
    std::fprintf(stderr, "ihd_train: stopped: %s\n", error.what());
    return 3;
  } catch (const UsageError& error) {
    std::fprintf(stderr, "ihd_train: error: %s\n", error.what());
    return kUsageExitCode;
  } catch (const std::exception& error) {
    // One rank's failure ends every rank: the others would wait for it forever.
    if (group && group->distributed()) {
      group->abort(1, std::string("ihd_train: error: ") + error.what());
    }
    std::fprintf(stderr, "ihd_train: error: %s\n", error.what());
    if (const auto undone = undo_failed_new_run(new_run)) {
      std::fprintf(stderr, "ihd_train: %s\n", undone->c_str());
    }
    return 1;
  }
}
