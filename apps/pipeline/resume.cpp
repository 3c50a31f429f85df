// The resumed settings (the run's config.json, then the command line's changeable flags) and the
// finished-run answer from each stage's resume checkpoint.
#include "apps/pipeline/resume.h"

#include <algorithm>
#include <filesystem>

#include "apps/pipeline/checkpoint.h"
#include "apps/pipeline/model_setup.h"
#include "apps/pipeline/run_config.h"
#include "apps/pipeline/run_folder.h"
#include "apps/pipeline/sequence_trainer.h"
#include "common/error.h"

namespace ihd::pipeline {
namespace {

namespace fs = std::filesystem;

bool may_change_on_resume(const std::string& flag) {
  return std::find(kFlagsResumeMayChange.begin(), kFlagsResumeMayChange.end(), flag) !=
         kFlagsResumeMayChange.end();
}

std::string value_of(const std::vector<std::pair<std::string, std::string>>& values,
                     const std::string& name) {
  for (const auto& [flag, value] : values) {
    if (flag == name) return value;
  }
  return "";
}

// How far a stage has come by its resume checkpoint, against the epochs and --max-steps (0: none)
// it is to train.
struct StageEnd {
  bool epochs_done = false;     // every epoch trained
  bool max_steps_done = false;  // or --max-steps reached
  int epochs_trained = 0;
  bool training_left() const { return !epochs_done && !max_steps_done; }
};

StageEnd stage_end(const std::optional<TrainingPosition>& position, int epochs, long max_steps) {
  StageEnd end;
  if (!position) return end;
  end.epochs_trained = position->next_epoch - 1;
  end.epochs_done = position->next_batch == 0 && end.epochs_trained >= epochs;
  end.max_steps_done = max_steps > 0 && position->global_step >= max_steps;
  return end;
}

// "extend it with --epochs M (M > 3)", or the same for --max-steps.
std::string how_to_extend(const StageEnd& end, const std::string& epochs_flag, long max_steps) {
  if (end.epochs_done) {
    return "extend it with --" + epochs_flag + " M (M > " + std::to_string(end.epochs_trained) +
           ")";
  }
  return "raise its --max-steps " + std::to_string(max_steps) +
         " with --max-steps M, or lift it with --max-steps 0";
}

std::string finished_text(const StageEnd& end, const std::string& epochs_flag, long max_steps) {
  const std::string what = end.epochs_done
                               ? "finished its " + std::to_string(end.epochs_trained) + " epochs"
                               : "reached its --max-steps";
  return "nothing to resume: the run " + what + "; " + how_to_extend(end, epochs_flag, max_steps);
}

// The run folder `path` names: runs/latest is the run it links to (so that config.json and the
// resume hint name the run, not a link that moves on to the next run).
fs::path run_behind_link(const fs::path& path) {
  std::error_code error;
  if (!fs::is_symlink(path, error)) return path;
  const fs::path target = fs::read_symlink(path);
  return (target.is_absolute() ? target : path.parent_path() / target).lexically_normal();
}

}  // namespace

TrainOptions resumed_options(const TrainOptions& command_line, const FlagSet& flags) {
  const fs::path run_dir = run_behind_link(command_line.resume);
  if (!fs::is_directory(run_dir)) {
    throw Error(ErrorKind::bad_config, run_dir.string(), "no such run folder: nothing to resume");
  }
  if (folder_format(run_dir) != kRunFormat) {
    throw Error(ErrorKind::bad_config, run_dir.string(),
                std::string("not a run folder (no ") + kRunConfigName + " of format " + kRunFormat +
                    "): nothing to resume");
  }
  const fs::path config_path = run_dir / kRunConfigName;
  TrainOptions options = options_from_config(read_run_config(config_path), config_path.string());
  const auto trained_with = option_values(options);
  std::vector<std::string> arguments{"resume"};
  for (const auto& [name, value] : flags.values()) {
    if (!flags.was_set(name) || name == "resume" || name == "overwrite") continue;
    if (may_change_on_resume(name)) {
      arguments.push_back("--" + name + "=" + value);
      continue;
    }
    if (name == "out") {
      const fs::path out = fs::path(value).lexically_normal();
      if (out != run_dir.lexically_normal() &&
          out != fs::path(command_line.resume).lexically_normal()) {
        throw UsageError("--out cannot change on --resume: the run is in " + run_dir.string());
      }
      continue;
    }
    const std::string trained = value_of(trained_with, name);
    if (value != trained) {
      throw UsageError("--" + name + " cannot change on --resume: the run was trained with " +
                       (trained.empty() ? "none" : trained));
    }
  }
  FlagSet merged("", "");
  add_train_flags(merged, options);
  std::vector<const char*> argv;
  for (const std::string& argument : arguments) argv.push_back(argument.c_str());
  merged.parse(static_cast<int>(argv.size()), argv.data());
  options.resume = run_dir.string();
  options.out = run_dir.string();
  options.overwrite = command_line.overwrite;  // validate() refuses it with --resume
  options.quiet = command_line.quiet;          // how this process prints, not a run setting
  return options;
}

std::optional<std::string> nothing_to_resume(const TrainOptions& o) {
  const fs::path run_dir = o.resume;
  if (o.stage == "sequence") {
    const StageEnd end = stage_end(read_checkpoint_position(run_dir), o.sequence_epochs, 0);
    if (end.training_left()) return std::nullopt;
    return finished_text(end, "sequence-epochs", 0);
  }
  const std::optional<TrainingPosition> slice = read_checkpoint_position(run_dir);
  const StageEnd slice_end = stage_end(slice, o.epochs, o.max_steps);
  if (!o.sequence_stage) {
    if (slice_end.training_left()) return std::nullopt;
    return finished_text(slice_end, "epochs", o.max_steps);
  }
  // A two-stage run: the slice model, its embeddings (RUN/features), the sequence stage.
  const fs::path features = run_dir / kFeaturesFolderName;
  if (slice_end.training_left()) {
    if (slice && slice->next_batch == 0 && fs::exists(features)) {
      throw UsageError(
          "--epochs cannot grow on a two-stage run whose slice model is embedded already (" +
          features.string() +
          "): its sequence stage would go on learning from the old embeddings; start a "
          "new run instead");
    }
    return std::nullopt;
  }
  const StageEnd sequence_end =
      stage_end(read_checkpoint_position(run_dir / kSequenceRunName), o.sequence_epochs, 0);
  if (sequence_end.training_left()) return std::nullopt;
  return "nothing to resume: the run finished both stages (" +
         std::to_string(slice_end.epochs_trained) + " epochs of the slice model, " +
         std::to_string(sequence_end.epochs_trained) + " of the sequence stage); " +
         how_to_extend(sequence_end, "sequence-epochs", 0);
}

}  // namespace ihd::pipeline
